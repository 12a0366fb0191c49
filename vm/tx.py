"""The signed transaction envelope.

Wire form (canonical msgpack, see primitives.codec):

    SignedTransaction = [body, signature]
    body = [chain_id: str, sender: bytes32 (Ed25519 public key), nonce: u64,
            gas_limit: u64, expiry_height: u64, memo: str, ops: [[op_code, *args], ...]]

The signature is Ed25519 over `len(tag) || tag || encode(body)` with tag `Tags.TX_SIGN`:
it names its own type (the tag) and the chain (chain_id in the body), so a signature can
be replayed neither on another chain nor as another message type. The transaction hash is
`digest(Tags.TX, encode(body))`, independent of the signature bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NewType

from primitives import codec
from primitives.errors import DecodeError
from primitives.hashing import Digest, Tags, digest
from primitives.keys import Address, PrivateKey, address_of, verify
from vm import codes
from vm.errors import InvalidTransaction
from vm.ops.catalog import decode_operation
from vm.ops.registry import Operation

Nonce = NewType("Nonce", int)
Height = NewType("Height", int)

MAX_TX_BYTES = 64 * 1024
MAX_MEMO = 256
MAX_OPS = 256
MAX_CHAIN_ID = 64


def signing_bytes(body_bytes: bytes) -> bytes:
    tag = Tags.TX_SIGN
    return bytes((len(tag),)) + tag + body_bytes


@dataclass(frozen=True, slots=True)
class Transaction:
    chain_id: str
    sender: bytes
    nonce: int
    gas_limit: int
    expiry_height: int
    memo: str
    ops: tuple[Operation, ...]
    sender_address: Address = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender_address", address_of(self.sender))

    def to_wire(self) -> list[object]:
        return [
            self.chain_id,
            self.sender,
            self.nonce,
            self.gas_limit,
            self.expiry_height,
            self.memo,
            [op.to_wire() for op in self.ops],
        ]

    @classmethod
    def from_wire(cls, wire: object) -> Transaction:
        f = codec.expect_list(wire, 7, what="transaction body")
        raw_ops = codec.expect_seq(f[6], max_len=MAX_OPS, what="operations")
        if not raw_ops:
            raise InvalidTransaction(
                "a transaction needs at least one operation", codes.NO_OPERATIONS
            )
        return cls(
            chain_id=codec.expect_str(f[0], max_len=MAX_CHAIN_ID, what="chain_id"),
            sender=codec.expect_bytes(f[1], 32, what="sender"),
            nonce=codec.expect_int(f[2], what="nonce"),
            gas_limit=codec.expect_int(f[3], what="gas_limit"),
            expiry_height=codec.expect_int(f[4], what="expiry_height"),
            memo=codec.expect_str(f[5], max_len=MAX_MEMO, what="memo"),
            ops=tuple(decode_operation(op) for op in raw_ops),
        )

    def encode(self) -> bytes:
        return codec.encode(self.to_wire())

    def sign(self, key: PrivateKey) -> SignedTransaction:
        body = self.encode()
        return SignedTransaction.build(self, key.sign(signing_bytes(body)), body)


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """A transaction with its signature, its canonical bytes and its hash (computed once)."""

    tx: Transaction
    signature: bytes
    raw: bytes = field(repr=False, compare=False)  # canonical encoding of [body, signature]
    hash: Digest = field(repr=False, compare=False)

    @classmethod
    def build(
        cls, tx: Transaction, signature: bytes, body_bytes: bytes | None = None
    ) -> SignedTransaction:
        body = tx.encode() if body_bytes is None else body_bytes
        raw = codec.array_header(2) + body + codec.encode(signature)
        return cls(tx, signature, raw, digest(Tags.TX, body))

    @property
    def body_bytes(self) -> bytes:
        # [body, sig]: a one-byte array header, the body, then bin8 (2 bytes) + 64 bytes
        return self.raw[1:-_SIG_ENCODED]

    def to_wire(self) -> list[object]:
        return [self.tx.to_wire(), self.signature]

    def encode(self) -> bytes:
        return self.raw

    def verify_signature(self) -> bool:
        return verify(self.tx.sender, signing_bytes(self.body_bytes), self.signature)

    @classmethod
    def decode(cls, data: bytes) -> SignedTransaction:
        """Strict decode; raises InvalidTransaction (code bad_encoding / too_large / ...)."""
        if len(data) > MAX_TX_BYTES:
            raise InvalidTransaction(
                f"transaction of {len(data)} bytes exceeds {MAX_TX_BYTES}", codes.TOO_LARGE
            )
        try:
            wire = codec.decode(data, max_size=MAX_TX_BYTES)
        except DecodeError as exc:
            raise InvalidTransaction(
                f"malformed transaction: {exc.message}", codes.BAD_ENCODING
            ) from exc
        tx, sig = cls._fields(wire)
        data = bytes(data)  # canonical (decode checked it), so the body is a slice of it
        return cls(tx, sig, data, digest(Tags.TX, data[1:-_SIG_ENCODED]))

    @classmethod
    def from_wire(cls, wire: object) -> SignedTransaction:
        tx, sig = cls._fields(wire)
        return cls.build(tx, sig)

    @staticmethod
    def _fields(wire: object) -> tuple[Transaction, bytes]:
        try:
            f = codec.expect_list(wire, 2, what="signed transaction")
            tx = Transaction.from_wire(f[0])
            sig = codec.expect_bytes(f[1], 64, what="signature")
        except DecodeError as exc:
            raise InvalidTransaction(
                f"malformed transaction: {exc.message}", codes.BAD_ENCODING
            ) from exc
        return tx, sig


_SIG_ENCODED = 2 + 64


def tx_hash_of(raw: bytes) -> bytes:
    """The hash a well-formed encoded transaction would have, without decoding it (to
    recognise copies of known transactions cheaply; anything else still gets decoded)."""
    if len(raw) <= 1 + _SIG_ENCODED or raw[0] != 0x92:
        return b""
    return digest(Tags.TX, raw[1:-_SIG_ENCODED])
