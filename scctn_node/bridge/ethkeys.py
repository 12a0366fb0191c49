"""Ethereum keys for the bridge: signing digests with a validator's secp256k1 bridge key,
the key binding proof, and Ethereum users' V3 keystore files (deployer, depositor,
relayer).

Signatures are 65 bytes r || s || v with v = 27 or 28 and s in the lower half of the
group order (libsecp256k1 always produces low-s), which is what OpenZeppelin's
`ECDSA.recover` and the VM's bridge ops accept.

An Ethereum user's key lives in a standard encrypted V3 keystore JSON (the format geth,
MetaMask exports and `eth_account.Account.encrypt` use); its password comes from a file,
an environment variable or a prompt, in that order.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coincurve
from eth_account import Account
from eth_hash.auto import keccak

from scctn_node.errors import NodeError
from scctn_node.keystore import eth_address_of_public

KEY_BINDING_TAG = b"SCCTN bridge key binding\x00"
PASSWORD_ENV_VAR = "SCCTN_ETH_PASSWORD"
# scrypt n for new V3 files: geth's "light" cost; good enough for a relayer's hot key
V3_SCRYPT_N = 2**14


class EthKeyError(NodeError):
    """An Ethereum key that cannot be read, decrypted or used. `code` is stable."""

    code = "eth_key_error"


@dataclass(frozen=True, slots=True)
class EthSigner:
    """A secp256k1 secret with its Ethereum address."""

    secret: bytes
    address: str  # EIP-55 checksummed 0x address

    @classmethod
    def from_secret(cls, secret: bytes) -> EthSigner:
        try:
            public = coincurve.PrivateKey(secret).public_key.format(compressed=True)
        except ValueError:
            raise EthKeyError("not a valid secp256k1 secret", "invalid_eth_key") from None
        return cls(secret, eth_address_of_public(public))

    @property
    def address_bytes(self) -> bytes:
        return bytes.fromhex(self.address[2:])

    def sign_digest(self, digest: bytes) -> bytes:
        """A recoverable signature of a raw 32-byte digest: r || s || v (v = 27/28)."""
        if len(digest) != 32:
            raise ValueError("a digest is 32 bytes")
        sig = coincurve.PrivateKey(self.secret).sign_recoverable(digest, hasher=None)
        return sig[:64] + bytes((sig[64] + 27,))


def recover_address(digest: bytes, signature: bytes) -> str | None:
    """The checksummed address that made `signature` over `digest`; None if malformed."""
    if len(signature) != 65 or len(digest) != 32 or signature[64] not in (27, 28):
        return None
    s = int.from_bytes(signature[32:64], "big")
    if s == 0 or s > SECP256K1_HALF_ORDER:
        return None  # the vault refuses high-s signatures; so do we
    try:
        pub = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes((signature[64] - 27,)), digest, hasher=None
        )
    except ValueError:
        return None
    return eth_address_of_public(pub.format(compressed=False))


SECP256K1_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def key_binding_digest(chain_id: str, validator_public_key: bytes, eth_address: bytes) -> bytes:
    """The digest a validator signs with its bridge key to bind it to its Ed25519 identity."""
    if len(validator_public_key) != 32 or len(eth_address) != 20:
        raise ValueError("a validator key is 32 bytes and an Ethereum address 20")
    return keccak(
        KEY_BINDING_TAG + chain_id.encode() + b"\x00" + validator_public_key + eth_address
    )


def key_binding_proof(signer: EthSigner, chain_id: str, validator_public_key: bytes) -> bytes:
    return signer.sign_digest(
        key_binding_digest(chain_id, validator_public_key, signer.address_bytes)
    )


# --- V3 keystore files --------------------------------------------------------------


def read_password(
    password_file: str | os.PathLike[str] | None = None,
    env_var: str = PASSWORD_ENV_VAR,
    *,
    prompt: bool = True,
    confirm: bool = False,
) -> str:
    """The password from `password_file`, else `$env_var`, else a prompt on a terminal."""
    if password_file is not None:
        try:
            text = Path(password_file).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise EthKeyError(
                f"cannot read password file {os.fspath(password_file)!r}: {exc}",
                "password_file_unreadable",
            ) from None
        return text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    value = os.environ.get(env_var)
    if value is not None:
        return value
    if prompt and sys.stdin.isatty():
        import click

        return str(
            click.prompt("Ethereum key password", hide_input=True, confirmation_prompt=confirm)
        )
    raise EthKeyError(
        f"no password for the Ethereum key: set {env_var} or pass --password-file",
        "password_required",
    )


def load_v3(path: str | os.PathLike[str], password: str) -> EthSigner:
    """The key in a V3 keystore file; EthKeyError for an unreadable file or a wrong password."""
    try:
        doc: Any = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EthKeyError(
            f"cannot read Ethereum keystore {os.fspath(path)!r}: {exc}", "invalid_eth_keystore"
        ) from None
    if not isinstance(doc, dict) or "crypto" not in doc and "Crypto" not in doc:
        raise EthKeyError(
            f"{os.fspath(path)!r} is not an Ethereum V3 keystore", "invalid_eth_keystore"
        )
    try:
        secret = bytes(Account.decrypt(doc, password))
    except ValueError as exc:
        wrong = "MAC mismatch" in str(exc)
        raise EthKeyError(
            f"wrong password for {os.fspath(path)!r}"
            if wrong
            else f"cannot decrypt {os.fspath(path)!r}: {exc}",
            "wrong_password" if wrong else "invalid_eth_keystore",
        ) from None
    return EthSigner.from_secret(secret)


def write_v3(
    path: str | os.PathLike[str],
    password: str,
    secret: bytes | None = None,
    *,
    n: int = V3_SCRYPT_N,
) -> EthSigner:
    """Write a new V3 keystore file (mode 0600, never over an existing file)."""
    signer = EthSigner.from_secret(secret if secret is not None else _random_secret())
    doc = Account.encrypt(signer.secret, password, kdf="scrypt", iterations=n)
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise EthKeyError(f"{os.fspath(path)!r} already exists", "key_exists") from None
    except OSError as exc:
        raise EthKeyError(f"cannot write {os.fspath(path)!r}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    return signer


def _random_secret() -> bytes:
    while True:
        secret = os.urandom(32)
        try:
            coincurve.PrivateKey(secret)
        except ValueError:
            continue
        return secret
