"""Signed consensus messages and the bodies of the normal-case protocol.

Every message travels as a `Signed` envelope: `[kind, chain_id, epoch, sender, body,
signature]`. The signature covers the domain-tagged digest of everything but itself,
so a message cannot be replayed on another chain, in another validator-set epoch, as
another type or under another sender. Bodies are frozen records with `to_wire()` and
`from_wire()`; decoding checks every field and raises `DecodeError` (wrapped into
`InvalidMessage` by `consensus.wire`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from consensus.base import (
    MAX_CHAIN_ID_LEN,
    TAG_MESSAGE,
    Digest,
    Epoch,
    ReplicaId,
    Seq,
    View,
)
from primitives.codec import Wire, encode, expect_bool, expect_bytes, expect_int, expect_list
from primitives.errors import DecodeError
from primitives.hashing import DIGEST_SIZE, digest
from primitives.keys import SIGNATURE_SIZE

MAX_VIEW = 2**62
MAX_SEQ = 2**62
MAX_PAYLOAD = 1024 * 1024


class MsgKind(IntEnum):
    PRE_PREPARE = 1
    PREPARE = 2
    COMMIT = 3
    CHECKPOINT = 4
    VIEW_CHANGE = 5
    NEW_VIEW = 6
    STATUS = 7
    COMMIT_PROOF = 8
    CHECKPOINT_PROOF = 9


class Body(Protocol):
    KIND: ClassVar[MsgKind]

    def to_wire(self) -> list[Wire]: ...


B = TypeVar("B", bound=Body, covariant=True)


def signing_bytes(
    chain_id: str, epoch: int, sender: int, body: Body, body_bytes: bytes | None = None
) -> bytes:
    """What a signature covers: the tagged digest of the canonical encoding of
    [kind, chain_id, epoch, sender, body]. `body_bytes`, the canonical encoding of the
    body, may be passed in when many signers' votes on one body are checked."""
    if body_bytes is None:
        body_bytes = encode(body.to_wire())
    # A msgpack array of five is 0x95 followed by its elements' encodings.
    head = encode([int(body.KIND), chain_id, epoch, sender])[1:]  # drop the 0x94 header
    return digest(TAG_MESSAGE, b"\x95" + head + body_bytes)


@dataclass(frozen=True, slots=True)
class Signed(Generic[B]):
    chain_id: str
    epoch: Epoch
    sender: ReplicaId
    body: B
    signature: bytes
    # Filled in by the decoder from the received bytes, so receiving never re-encodes.
    signed_digest: bytes | None = field(default=None, compare=False, repr=False)

    def signing_bytes(self) -> bytes:
        if self.signed_digest is not None:
            return self.signed_digest
        return signing_bytes(self.chain_id, self.epoch, self.sender, self.body)

    def to_wire(self) -> list[Wire]:
        return [
            int(self.body.KIND),
            self.chain_id,
            self.epoch,
            self.sender,
            self.body.to_wire(),
            self.signature,
        ]

    def encode(self) -> bytes:
        return encode(self.to_wire())


AnySigned = Signed[Any]


def expect_view(value: Wire, what: str = "view") -> View:
    return View(expect_int(value, 0, MAX_VIEW, what=what))


def expect_seq_no(value: Wire, what: str = "seq") -> Seq:
    return Seq(expect_int(value, 0, MAX_SEQ, what=what))


def expect_digest(value: Wire, what: str = "digest") -> Digest:
    return Digest(expect_bytes(value, DIGEST_SIZE, what=what))


def expect_signature(value: Wire) -> bytes:
    return expect_bytes(value, SIGNATURE_SIZE, what="signature")


def expect_chain_id(value: Wire) -> str:
    if type(value) is not str or not 0 < len(value) <= MAX_CHAIN_ID_LEN:
        raise DecodeError("chain id: expected a string of 1..64 characters")
    return value


@dataclass(frozen=True, slots=True)
class PrePrepare:
    """The primary's assignment of sequence number `seq` to a batch in `view` (4.2)."""

    KIND: ClassVar[MsgKind] = MsgKind.PRE_PREPARE
    view: View
    seq: Seq
    digest: Digest
    payload: bytes | None  # None is the null batch of a new view

    def to_wire(self) -> list[Wire]:
        return [self.view, self.seq, self.digest, self.payload]

    @classmethod
    def from_wire(cls, value: Wire) -> PrePrepare:
        v = expect_list(value, 4, what="pre-prepare")
        payload = None if v[3] is None else expect_bytes(v[3], max_len=MAX_PAYLOAD, what="payload")
        return cls(expect_view(v[0]), expect_seq_no(v[1]), expect_digest(v[2]), payload)


@dataclass(frozen=True, slots=True)
class Prepare:
    KIND: ClassVar[MsgKind] = MsgKind.PREPARE
    view: View
    seq: Seq
    digest: Digest

    def to_wire(self) -> list[Wire]:
        return [self.view, self.seq, self.digest]

    @classmethod
    def from_wire(cls, value: Wire) -> Prepare:
        v = expect_list(value, 3, what="prepare")
        return cls(expect_view(v[0]), expect_seq_no(v[1]), expect_digest(v[2]))


@dataclass(frozen=True, slots=True)
class Commit:
    KIND: ClassVar[MsgKind] = MsgKind.COMMIT
    view: View
    seq: Seq
    digest: Digest

    def to_wire(self) -> list[Wire]:
        return [self.view, self.seq, self.digest]

    @classmethod
    def from_wire(cls, value: Wire) -> Commit:
        v = expect_list(value, 3, what="commit")
        return cls(expect_view(v[0]), expect_seq_no(v[1]), expect_digest(v[2]))


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A replica's claim that executing up to `seq` gives `state_root` (4.3)."""

    KIND: ClassVar[MsgKind] = MsgKind.CHECKPOINT
    seq: Seq
    state_root: Digest

    def to_wire(self) -> list[Wire]:
        return [self.seq, self.state_root]

    @classmethod
    def from_wire(cls, value: Wire) -> Checkpoint:
        v = expect_list(value, 2, what="checkpoint")
        return cls(expect_seq_no(v[0]), expect_digest(v[1], what="state root"))


@dataclass(frozen=True, slots=True)
class Status:
    """Where the sender stands; peers answer with what it is missing (retransmission)."""

    KIND: ClassVar[MsgKind] = MsgKind.STATUS
    view: View
    active: bool
    stable_seq: Seq
    delivered: Seq

    def to_wire(self) -> list[Wire]:
        return [self.view, self.active, self.stable_seq, self.delivered]

    @classmethod
    def from_wire(cls, value: Wire) -> Status:
        v = expect_list(value, 4, what="status")
        return cls(
            expect_view(v[0]),
            expect_bool(v[1], what="active"),
            expect_seq_no(v[2]),
            expect_seq_no(v[3]),
        )
