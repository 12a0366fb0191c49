"""Certificates: quorums of signed votes that anyone holding the validator set can check.

- `CommitCertificate`: 2f+1 commits for (view, seq, digest); proves the batch with that
  digest is committed at `seq` (Castro-Liskov 4.2: committed-local implies committed).
- `CheckpointCertificate`: 2f+1 checkpoints for (seq, state_root); the stable
  checkpoint proof of 4.3, and what a catching-up node or light client trusts.
- `PreparedCertificate`: a pre-prepare plus 2f prepares; the P-set entries of a
  view-change message (4.4).

Votes are `(sender, signature)` pairs sorted by sender: the signed message is rebuilt
from the certificate's fields, so each vote costs 65 bytes on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from consensus.base import Digest, Epoch, ReplicaId, Seq, View, batch_digest
from consensus.config import ValidatorSet
from consensus.crypto import Ed25519Verifier, Verifier
from consensus.errors import InvalidCertificate
from consensus.messages import (
    Body,
    Checkpoint,
    Commit,
    MsgKind,
    Prepare,
    PrePrepare,
    Signed,
    expect_chain_id,
    expect_digest,
    expect_seq_no,
    expect_signature,
    expect_view,
    signing_bytes,
)
from primitives.codec import Wire, encode, expect_bytes, expect_int, expect_list, expect_seq
from primitives.errors import DecodeError


@dataclass(frozen=True, slots=True)
class Vote:
    sender: ReplicaId
    signature: bytes

    def to_wire(self) -> list[Wire]:
        return [self.sender, self.signature]

    @classmethod
    def from_wire(cls, value: Wire) -> Vote:
        v = expect_list(value, 2, what="vote")
        return cls(ReplicaId(expect_int(v[0], 0, 1023, what="voter")), expect_signature(v[1]))


def votes_to_wire(votes: Sequence[Vote]) -> list[Wire]:
    return [vote.to_wire() for vote in votes]


def votes_from_wire(value: Wire) -> tuple[Vote, ...]:
    votes = tuple(Vote.from_wire(item) for item in expect_seq(value, max_len=1024, what="votes"))
    for earlier, later in zip(votes, votes[1:], strict=False):
        if later.sender <= earlier.sender:
            raise DecodeError("votes must be sorted by sender without repeats")
    return votes


def sorted_votes(votes: dict[ReplicaId, bytes]) -> tuple[Vote, ...]:
    return tuple(Vote(sender, votes[sender]) for sender in sorted(votes))


def check_votes(
    votes: Sequence[Vote],
    body: Body,
    *,
    chain_id: str,
    validators: ValidatorSet,
    verifier: Verifier,
    needed: int,
    excluded: int = -1,
) -> None:
    """Raise InvalidCertificate unless `needed` distinct validators signed `body`."""
    seen = -1
    body_bytes = encode(body.to_wire())
    for vote in votes:
        if vote.sender <= seen:
            raise InvalidCertificate("votes are not sorted by sender or repeat a sender")
        seen = vote.sender
        if not validators.contains(vote.sender) or vote.sender == excluded:
            raise InvalidCertificate(f"vote from replica {vote.sender}, which may not vote here")
        message = signing_bytes(chain_id, validators.epoch, vote.sender, body, body_bytes)
        if not verifier.verify(validators.key(vote.sender), message, vote.signature):
            raise InvalidCertificate(f"bad signature from replica {vote.sender}")
    if len(votes) < needed:
        raise InvalidCertificate(f"{len(votes)} votes, {needed} needed")


@dataclass(frozen=True, slots=True)
class CommitCertificate:
    chain_id: str
    epoch: Epoch
    view: View
    seq: Seq
    digest: Digest
    votes: tuple[Vote, ...]

    def to_wire(self) -> list[Wire]:
        return [
            self.chain_id,
            self.epoch,
            self.view,
            self.seq,
            self.digest,
            votes_to_wire(self.votes),
        ]

    @classmethod
    def from_wire(cls, value: Wire) -> CommitCertificate:
        v = expect_list(value, 6, what="commit certificate")
        return cls(
            expect_chain_id(v[0]),
            Epoch(expect_int(v[1], what="epoch")),
            expect_view(v[2]),
            expect_seq_no(v[3]),
            expect_digest(v[4]),
            votes_from_wire(v[5]),
        )


def verify_commit_certificate(
    cert: CommitCertificate,
    validator_set: ValidatorSet,
    chain_id: str,
    verifier: Verifier | None = None,
) -> None:
    """Check that 2f+1 validators of `validator_set` committed `cert.digest` at `cert.seq`.

    Raises InvalidCertificate on any failure; returns None when the certificate holds.
    """
    if cert.chain_id != chain_id:
        raise InvalidCertificate("certificate is for another chain")
    if cert.epoch != validator_set.epoch:
        raise InvalidCertificate("certificate is for another validator-set epoch")
    check_votes(
        cert.votes,
        Commit(cert.view, cert.seq, cert.digest),
        chain_id=chain_id,
        validators=validator_set,
        verifier=verifier or Ed25519Verifier(),
        needed=validator_set.quorum,
    )


@dataclass(frozen=True, slots=True)
class CheckpointCertificate:
    chain_id: str
    epoch: Epoch
    seq: Seq
    state_root: Digest
    votes: tuple[Vote, ...]

    def to_wire(self) -> list[Wire]:
        return [self.chain_id, self.epoch, self.seq, self.state_root, votes_to_wire(self.votes)]

    @classmethod
    def from_wire(cls, value: Wire) -> CheckpointCertificate:
        v = expect_list(value, 5, what="checkpoint certificate")
        return cls(
            expect_chain_id(v[0]),
            Epoch(expect_int(v[1], what="epoch")),
            expect_seq_no(v[2]),
            expect_digest(v[3], what="state root"),
            votes_from_wire(v[4]),
        )


def verify_checkpoint_certificate(
    cert: CheckpointCertificate,
    validator_set: ValidatorSet,
    chain_id: str,
    verifier: Verifier | None = None,
) -> None:
    """Check that 2f+1 validators signed the state root `cert.state_root` at `cert.seq`."""
    if cert.chain_id != chain_id:
        raise InvalidCertificate("certificate is for another chain")
    if cert.epoch != validator_set.epoch:
        raise InvalidCertificate("certificate is for another validator-set epoch")
    check_votes(
        cert.votes,
        Checkpoint(cert.seq, cert.state_root),
        chain_id=chain_id,
        validators=validator_set,
        verifier=verifier or Ed25519Verifier(),
        needed=validator_set.quorum,
    )


@dataclass(frozen=True, slots=True)
class PreparedCertificate:
    pre_prepare: Signed[PrePrepare]
    prepares: tuple[Vote, ...]

    @property
    def view(self) -> View:
        return self.pre_prepare.body.view

    @property
    def seq(self) -> Seq:
        return self.pre_prepare.body.seq

    @property
    def digest(self) -> Digest:
        return self.pre_prepare.body.digest

    def to_wire(self) -> list[Wire]:
        return [self.pre_prepare.to_wire(), votes_to_wire(self.prepares)]

    @classmethod
    def from_wire(cls, value: Wire) -> PreparedCertificate:
        v = expect_list(value, 2, what="prepared certificate")
        return cls(signed_from_wire(v[0], PrePrepare), votes_from_wire(v[1]))


def verify_pre_prepare(
    pp: Signed[PrePrepare], validators: ValidatorSet, chain_id: str, verifier: Verifier
) -> None:
    """A pre-prepare is valid when the view's primary signed it and the digest matches."""
    if pp.chain_id != chain_id or pp.epoch != validators.epoch:
        raise InvalidCertificate("pre-prepare for another chain or epoch")
    if pp.sender != validators.primary(pp.body.view):
        raise InvalidCertificate("pre-prepare not sent by the view's primary")
    if batch_digest(pp.body.payload) != pp.body.digest:
        raise InvalidCertificate("pre-prepare digest does not match its payload")
    if not verifier.verify(validators.key(pp.sender), pp.signing_bytes(), pp.signature):
        raise InvalidCertificate("bad pre-prepare signature")


def verify_prepared_certificate(
    cert: PreparedCertificate, validators: ValidatorSet, chain_id: str, verifier: Verifier
) -> None:
    pp = cert.pre_prepare
    verify_pre_prepare(pp, validators, chain_id, verifier)
    check_votes(
        cert.prepares,
        Prepare(pp.body.view, pp.body.seq, pp.body.digest),
        chain_id=chain_id,
        validators=validators,
        verifier=verifier,
        needed=validators.prepare_quorum,
        excluded=pp.sender,
    )


@dataclass(frozen=True, slots=True)
class CommitProof:
    """A commit certificate with its batch: lets a lagging replica commit without a view."""

    KIND: ClassVar[MsgKind] = MsgKind.COMMIT_PROOF
    cert: CommitCertificate
    payload: bytes | None

    def to_wire(self) -> list[Wire]:
        return [self.cert.to_wire(), self.payload]

    @classmethod
    def from_wire(cls, value: Wire) -> CommitProof:
        v = expect_list(value, 2, what="commit proof")
        payload = None if v[1] is None else expect_bytes(v[1], what="payload")
        return cls(CommitCertificate.from_wire(v[0]), payload)


@dataclass(frozen=True, slots=True)
class CheckpointProof:
    KIND: ClassVar[MsgKind] = MsgKind.CHECKPOINT_PROOF
    cert: CheckpointCertificate

    def to_wire(self) -> list[Wire]:
        return [self.cert.to_wire()]

    @classmethod
    def from_wire(cls, value: Wire) -> CheckpointProof:
        v = expect_list(value, 1, what="checkpoint proof")
        return cls(CheckpointCertificate.from_wire(v[0]))


T = TypeVar("T", bound=Body)


def signed_from_wire(value: Wire, body_type: type[T]) -> Signed[T]:
    """Decode a `Signed` envelope whose body must be of `body_type`."""
    v = expect_list(value, 6, what="signed message")
    kind = expect_int(v[0], 1, 255, what="kind")
    if kind != int(body_type.KIND):
        raise DecodeError(f"expected a message of kind {int(body_type.KIND)}, got {kind}")
    parse = getattr(body_type, "from_wire")  # noqa: B009 - every body class has it
    body: T = parse(v[4])
    return Signed(
        expect_chain_id(v[1]),
        Epoch(expect_int(v[2], what="epoch")),
        ReplicaId(expect_int(v[3], 0, 1023, what="sender")),
        body,
        expect_signature(v[5]),
    )
