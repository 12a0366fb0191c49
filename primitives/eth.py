"""Ethereum primitives for the bridge: keccak-256, EIP-712 typed-data hashing, secp256k1
signature recovery (OpenZeppelin ECDSA.recover rules) and EIP-55 checksum addresses.

The three messages the vault verifies (contracts/ethereum/SCCTNVault.sol), under the
domain `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)`
with name "SCCTN Bridge", version "1", the Ethereum chain id and the vault's address:

    Withdrawal(uint256 id,address recipient,uint256 amount,uint256 expiry)
    Valset(uint256 nonce,address[] validators,uint256[] powers)
    VaultChange(uint256 nonce,uint256 perTxCap,uint256 dailyLimit,uint256 largeAmount,
                uint256 largeDelay,address guardian,bool unpause)

The digest a validator signs is keccak256(0x19 0x01 || domainSeparator || hashStruct(m)).
`hash_struct` is a generic EIP-712 encoder (atomic types, dynamic `string`/`bytes`, arrays
and nested structs), checked against the EIP's `Mail` example and against eth_account.

A signature is 65 bytes r || s || v with v in {27, 28}; r and s in [1, n), s at most n/2
(malleable high-s signatures are refused, as the vault refuses them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import coincurve
from eth_hash.auto import keccak as _keccak

from primitives.errors import PrimitivesError

ETH_ADDRESS_SIZE = 20
SIGNATURE_LEN = 65
ZERO_ADDRESS = bytes(ETH_ADDRESS_SIZE)
UINT256_MAX = 2**256 - 1
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2

DOMAIN_NAME = "SCCTN Bridge"
DOMAIN_VERSION = "1"
KEY_BINDING_TAG = b"SCCTN bridge key binding\x00"

_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class EthError(PrimitivesError):
    code = "eth_error"


class InvalidSignature(EthError):
    """A signature that is malformed (length, v, r, s, high s) or recovers no key."""

    code = "bad_eth_signature"


class InvalidEthAddress(EthError):
    """Not `0x` + 40 hex digits, or mixed case that fails the EIP-55 checksum."""

    code = "invalid_eth_address"


class InvalidTypedData(EthError):
    code = "invalid_typed_data"


def keccak256(data: bytes) -> bytes:
    return bytes(_keccak(data))


# --- addresses ----------------------------------------------------------------------


def to_checksum(address: bytes) -> str:
    """EIP-55 mixed-case text of a 20-byte address."""
    if len(address) != ETH_ADDRESS_SIZE:
        raise InvalidEthAddress("an Ethereum address is 20 bytes")
    low = address.hex()
    h = keccak256(low.encode()).hex()
    return "0x" + "".join(c.upper() if int(h[i], 16) >= 8 else c for i, c in enumerate(low))


def parse_eth_address(text: str) -> bytes:
    """20 bytes of `0x...`; all-lower or all-upper hex is accepted, mixed case must carry
    a valid EIP-55 checksum (a typo is then caught)."""
    if not isinstance(text, str) or not _HEX_ADDRESS.match(text.strip()):
        raise InvalidEthAddress(f"{text!r} is not an Ethereum address (0x + 40 hex digits)")
    text = text.strip()
    raw = bytes.fromhex(text[2:])
    body = text[2:]
    if body != body.lower() and body != body.upper() and to_checksum(raw) != text:
        raise InvalidEthAddress(f"{text} fails its EIP-55 checksum (a typo?)")
    return raw


def public_key_to_address(public_key64: bytes) -> bytes:
    """The address of an uncompressed public key (64 bytes x || y)."""
    if len(public_key64) != 64:
        raise EthError("a secp256k1 public key is 64 bytes (x || y)")
    return keccak256(public_key64)[12:]


def address_of_private_key(private_key: bytes) -> bytes:
    return public_key_to_address(_uncompressed(_private(private_key).public_key))


def _private(private_key: bytes) -> coincurve.PrivateKey:
    if len(private_key) != 32:
        raise EthError("a secp256k1 private key is 32 bytes")
    try:  # libsecp256k1 refuses 0 and scalars >= the group order
        return coincurve.PrivateKey(private_key)
    except ValueError as exc:
        raise EthError("not a valid secp256k1 private key") from exc


def _uncompressed(public: coincurve.PublicKey) -> bytes:
    """x || y, 64 bytes (without the 0x04 prefix)."""
    return bytes(public.format(compressed=False))[1:]


# --- signatures ---------------------------------------------------------------------


def sign(private_key: bytes, digest: bytes) -> bytes:
    """A 65-byte r || s || v (v 27/28, low s) signature of a 32-byte digest."""
    if len(digest) != 32:
        raise EthError("a digest is 32 bytes")
    sig = _private(private_key).sign_recoverable(digest, hasher=None)  # r || s || recid
    r, s, v = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
    if s > HALF_N:  # libsecp256k1 signs low-s already; normalise anyway
        s, v = SECP256K1_N - s, v ^ 1
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((v + 27,))


def recover(digest: bytes, signature: bytes) -> bytes:
    """The 20-byte address whose key made `signature` over `digest`; InvalidSignature
    for anything ECDSA.recover would refuse."""
    if len(digest) != 32:
        raise InvalidSignature("a digest is 32 bytes")
    if len(signature) != SIGNATURE_LEN:
        raise InvalidSignature("a signature is 65 bytes r || s || v")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28):
        raise InvalidSignature("signature v must be 27 or 28")
    if not 0 < r < SECP256K1_N or not 0 < s <= HALF_N:
        raise InvalidSignature("signature r or s out of range (high s is refused)")
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes((v - 27,)), digest, hasher=None
        )
    except ValueError as exc:  # no point has x = r, or the recovered point is infinity
        raise InvalidSignature("the signature recovers no public key") from exc
    return public_key_to_address(_uncompressed(public))


# --- EIP-712 ------------------------------------------------------------------------

Types = Mapping[str, Sequence[tuple[str, str]]]  # struct name -> [(field name, type)]

_UINT = re.compile(r"^uint(\d+)$")
_INT = re.compile(r"^int(\d+)$")
_BYTESN = re.compile(r"^bytes(\d+)$")


def _deps(types: Types, primary: str, found: list[str]) -> None:
    if primary in found or primary not in types:
        return
    found.append(primary)
    for _, t in types[primary]:
        _deps(types, t.split("[")[0], found)


def encode_type(types: Types, primary: str) -> bytes:
    found: list[str] = []
    _deps(types, primary, found)
    ordered = [primary] + sorted(d for d in found if d != primary)
    return "".join(f"{n}({','.join(f'{t} {f}' for f, t in types[n])})" for n in ordered).encode()


def type_hash(types: Types, primary: str) -> bytes:
    return keccak256(encode_type(types, primary))


def _encode_value(types: Types, t: str, value: Any) -> bytes:
    if t in types:
        return hash_struct(types, t, value)
    if t.endswith("]"):
        inner = t[: t.rindex("[")]
        size = t[t.rindex("[") + 1 : -1]
        if not isinstance(value, (list, tuple)) or (size and len(value) != int(size)):
            raise InvalidTypedData(f"{t}: expected a list")
        return keccak256(b"".join(_encode_value(types, inner, v) for v in value))
    if t == "string":
        if not isinstance(value, str):
            raise InvalidTypedData("string: expected text")
        return keccak256(value.encode())
    if t == "bytes":
        return keccak256(_bytes(value, t))
    if t == "address":
        raw = _bytes(value, t)
        if len(raw) != ETH_ADDRESS_SIZE:
            raise InvalidTypedData("address: 20 bytes")
        return bytes(12) + raw
    if t == "bool":
        if not isinstance(value, bool):
            raise InvalidTypedData("bool: expected true or false")
        return (1 if value else 0).to_bytes(32, "big")
    if m := _UINT.match(t):
        if type(value) is not int or not 0 <= value < 2 ** int(m[1]):
            raise InvalidTypedData(f"{t}: out of range")
        return value.to_bytes(32, "big")
    if m := _INT.match(t):
        bits = int(m[1])
        if type(value) is not int or not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            raise InvalidTypedData(f"{t}: out of range")
        return (value % 2**256).to_bytes(32, "big")
    if m := _BYTESN.match(t):
        raw = _bytes(value, t)
        if len(raw) != int(m[1]):
            raise InvalidTypedData(f"{t}: {m[1]} bytes")
        return raw.ljust(32, b"\x00")
    raise InvalidTypedData(f"unknown type {t!r}")


def _bytes(value: Any, t: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise InvalidTypedData(f"{t}: expected bytes")


def hash_struct(types: Types, primary: str, data: Mapping[str, Any]) -> bytes:
    if not isinstance(data, Mapping):
        raise InvalidTypedData(f"{primary}: expected an object")
    enc = [type_hash(types, primary)]
    for name, t in types[primary]:
        if name not in data:
            raise InvalidTypedData(f"{primary}.{name}: missing")
        enc.append(_encode_value(types, t, data[name]))
    return keccak256(b"".join(enc))


def typed_digest(domain_separator_: bytes, struct_hash: bytes) -> bytes:
    return keccak256(b"\x19\x01" + domain_separator_ + struct_hash)


DOMAIN_TYPES: Types = {
    "EIP712Domain": (
        ("name", "string"),
        ("version", "string"),
        ("chainId", "uint256"),
        ("verifyingContract", "address"),
    )
}
WITHDRAWAL_TYPES: Types = {
    "Withdrawal": (
        ("id", "uint256"),
        ("recipient", "address"),
        ("amount", "uint256"),
        ("expiry", "uint256"),
    )
}
VALSET_TYPES: Types = {
    "Valset": (("nonce", "uint256"), ("validators", "address[]"), ("powers", "uint256[]"))
}
VAULT_CHANGE_TYPES: Types = {
    "VaultChange": (
        ("nonce", "uint256"),
        ("perTxCap", "uint256"),
        ("dailyLimit", "uint256"),
        ("largeAmount", "uint256"),
        ("largeDelay", "uint256"),
        ("guardian", "address"),
        ("unpause", "bool"),
    )
}


def domain_separator(chain_id: int, vault: bytes) -> bytes:
    return hash_struct(
        DOMAIN_TYPES,
        "EIP712Domain",
        {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": vault,
        },
    )


@dataclass(frozen=True, slots=True)
class Withdrawal:
    id: int
    recipient: bytes
    amount: int  # token units
    expiry: int  # unix seconds

    PRIMARY = "Withdrawal"
    TYPES = WITHDRAWAL_TYPES

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "recipient": self.recipient,
            "amount": self.amount,
            "expiry": self.expiry,
        }

    def struct_hash(self) -> bytes:
        return hash_struct(self.TYPES, self.PRIMARY, self.fields())


MAX_VALSET = 100


@dataclass(frozen=True, slots=True)
class Valset:
    nonce: int
    validators: tuple[bytes, ...]
    powers: tuple[int, ...]

    PRIMARY = "Valset"
    TYPES = VALSET_TYPES

    def fields(self) -> dict[str, Any]:
        return {
            "nonce": self.nonce,
            "validators": list(self.validators),
            "powers": list(self.powers),
        }

    def check(self) -> None:
        """Well formed as the vault requires: 1..100 members, addresses strictly
        ascending and non-zero, powers positive, as many powers as members."""
        n = len(self.validators)
        if not 1 <= n <= MAX_VALSET or len(self.powers) != n:
            raise InvalidTypedData("a valset has 1 to 100 members and one power each")
        if any(len(a) != ETH_ADDRESS_SIZE or a == ZERO_ADDRESS for a in self.validators):
            raise InvalidTypedData("valset members are non-zero 20-byte addresses")
        if any(a >= b for a, b in zip(self.validators, self.validators[1:], strict=False)):
            raise InvalidTypedData("valset members must be strictly ascending")
        if any(not 0 < p <= UINT256_MAX for p in self.powers):
            raise InvalidTypedData("valset powers must be positive")

    def struct_hash(self) -> bytes:
        """The vault's checkpoint of this set."""
        return hash_struct(self.TYPES, self.PRIMARY, self.fields())


@dataclass(frozen=True, slots=True)
class VaultChange:
    nonce: int
    per_tx_cap: int
    daily_limit: int
    large_amount: int
    large_delay: int
    guardian: bytes
    unpause: bool

    PRIMARY = "VaultChange"
    TYPES = VAULT_CHANGE_TYPES

    def fields(self) -> dict[str, Any]:
        return {
            "nonce": self.nonce,
            "perTxCap": self.per_tx_cap,
            "dailyLimit": self.daily_limit,
            "largeAmount": self.large_amount,
            "largeDelay": self.large_delay,
            "guardian": self.guardian,
            "unpause": self.unpause,
        }

    def struct_hash(self) -> bytes:
        return hash_struct(self.TYPES, self.PRIMARY, self.fields())


Message = Withdrawal | Valset | VaultChange


def message_digest(chain_id: int, vault: bytes, message: Message) -> bytes:
    """The EIP-712 digest of a bridge message for the vault at `vault` on `chain_id`."""
    return typed_digest(domain_separator(chain_id, vault), message.struct_hash())


def key_binding_digest(chain_id: str, validator_public_key: bytes, eth_address: bytes) -> bytes:
    """What a validator signs with its secp256k1 key to bind it to its Ed25519 identity
    on the consortium chain `chain_id` (a raw digest, recoverable signature)."""
    if len(validator_public_key) != 32 or len(eth_address) != ETH_ADDRESS_SIZE:
        raise EthError("a key binding names a 32-byte validator key and a 20-byte address")
    return keccak256(
        KEY_BINDING_TAG + chain_id.encode() + b"\x00" + validator_public_key + eth_address
    )
