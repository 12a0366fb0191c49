"""View change and new view (Castro-Liskov TOCS 2002, section 4.4; OSDI 1999, 4.4).

Theory of operation. A backup whose request timer expires stops accepting messages of
view v and broadcasts VIEW-CHANGE(v+1, C, P): C proves its last stable checkpoint and
P holds, for every sequence number above it, the prepared certificate of the highest
view in which it prepared. The primary of v+1 collects 2f+1 valid view-changes (the
set V) and computes O deterministically from V:
- min-s is the highest stable checkpoint in V, max-s the highest prepared seq in V;
- every seq in (min-s, max-s] gets a pre-prepare in v+1 for the batch of the
  highest-view prepared certificate in V at that seq, or a null batch if none.
It broadcasts NEW-VIEW(v+1, V, O). Backups recompute O from V and accept the new view
only if it matches. Because any batch committed in an earlier view was prepared by
f+1 correct replicas, at least one of them is in V, so O re-proposes it at the same
seq: committed batches survive view changes.

Signatures (not MACs) mean the certificates in C and P verify directly; the paper's
view-change-ack round (needed only with MACs, TOCS 4.5) is omitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from consensus.base import Digest, Seq, View, batch_digest
from consensus.certificates import (
    CheckpointCertificate,
    PreparedCertificate,
    signed_from_wire,
    verify_checkpoint_certificate,
    verify_pre_prepare,
    verify_prepared_certificate,
)
from consensus.config import ValidatorSet
from consensus.crypto import Verifier
from consensus.errors import InvalidCertificate, InvalidMessage
from consensus.messages import MsgKind, PrePrepare, Signed, expect_view
from primitives.codec import Wire, expect_list, expect_seq
from primitives.errors import DecodeError


@dataclass(frozen=True, slots=True)
class ViewChange:
    KIND: ClassVar[MsgKind] = MsgKind.VIEW_CHANGE
    new_view: View
    stable: CheckpointCertificate | None  # None: nothing stable since the epoch started
    prepared: tuple[PreparedCertificate, ...]  # sorted by seq, one per seq

    def to_wire(self) -> list[Wire]:
        stable = None if self.stable is None else self.stable.to_wire()
        return [self.new_view, stable, [cert.to_wire() for cert in self.prepared]]

    @classmethod
    def from_wire(cls, value: Wire) -> ViewChange:
        v = expect_list(value, 3, what="view-change")
        stable = None if v[1] is None else CheckpointCertificate.from_wire(v[1])
        prepared = tuple(
            PreparedCertificate.from_wire(item) for item in expect_seq(v[2], what="prepared")
        )
        return cls(expect_view(v[0], "new view"), stable, prepared)


@dataclass(frozen=True, slots=True)
class NewView:
    KIND: ClassVar[MsgKind] = MsgKind.NEW_VIEW
    view: View
    view_changes: tuple[Signed[ViewChange], ...]  # sorted by sender
    pre_prepares: tuple[Signed[PrePrepare], ...]  # the set O, sorted by seq

    def to_wire(self) -> list[Wire]:
        return [
            self.view,
            [vc.to_wire() for vc in self.view_changes],
            [pp.to_wire() for pp in self.pre_prepares],
        ]

    @classmethod
    def from_wire(cls, value: Wire) -> NewView:
        v = expect_list(value, 3, what="new-view")
        vcs = tuple(
            signed_from_wire(item, ViewChange) for item in expect_seq(v[1], what="view-changes")
        )
        pps = tuple(
            signed_from_wire(item, PrePrepare) for item in expect_seq(v[2], what="pre-prepares")
        )
        for earlier, later in zip(vcs, vcs[1:], strict=False):
            if later.sender <= earlier.sender:
                raise DecodeError("view-changes must be sorted by sender without repeats")
        return cls(expect_view(v[0]), vcs, pps)


@dataclass(frozen=True, slots=True)
class NewViewPlan:
    """What O must contain: the stable checkpoint to adopt and one batch per seq."""

    stable: CheckpointCertificate | None
    entries: tuple[tuple[Seq, Digest, bytes | None], ...]


def stable_seq(cert: CheckpointCertificate | None, start_seq: Seq) -> Seq:
    return start_seq if cert is None else cert.seq


def verify_view_change(
    vc: Signed[ViewChange],
    validators: ValidatorSet,
    chain_id: str,
    verifier: Verifier,
    *,
    start_seq: Seq,
    window: int,
) -> None:
    """Raise InvalidMessage unless `vc` is a well-formed, correctly signed view-change."""
    if vc.chain_id != chain_id or vc.epoch != validators.epoch:
        raise InvalidMessage("view-change for another chain or epoch")
    if not validators.contains(vc.sender):
        raise InvalidMessage("view-change from a non-validator")
    if not verifier.verify(validators.key(vc.sender), vc.signing_bytes(), vc.signature):
        raise InvalidMessage("bad view-change signature")
    try:
        if vc.body.stable is not None:
            verify_checkpoint_certificate(vc.body.stable, validators, chain_id, verifier)
        low = stable_seq(vc.body.stable, start_seq)
        if low < start_seq:
            raise InvalidMessage("view-change checkpoint below the epoch start")
        last = low
        for cert in vc.body.prepared:
            if not last < cert.seq <= low + window:
                raise InvalidMessage("prepared certificate outside the watermarks or unsorted")
            if cert.view >= vc.body.new_view:
                raise InvalidMessage("prepared certificate from a view not below the new one")
            last = cert.seq
            verify_prepared_certificate(cert, validators, chain_id, verifier)
    except InvalidCertificate as exc:
        raise InvalidMessage(f"view-change carries a bad certificate: {exc.message}") from exc


def plan_new_view(vcs: tuple[Signed[ViewChange], ...], start_seq: Seq) -> NewViewPlan:
    """Compute O from V (section 4.4): deterministic, so every replica can check it."""
    stable: CheckpointCertificate | None = None
    for vc in vcs:
        cert = vc.body.stable
        if cert is not None and (stable is None or cert.seq > stable.seq):
            stable = cert
    min_s = stable_seq(stable, start_seq)
    best: dict[Seq, PreparedCertificate] = {}
    for vc in vcs:
        for prepared in vc.body.prepared:
            if prepared.seq <= min_s:
                continue
            held = best.get(prepared.seq)
            if held is None or (prepared.view, prepared.digest) > (held.view, held.digest):
                best[prepared.seq] = prepared
    max_s = max(best, default=min_s)
    entries: list[tuple[Seq, Digest, bytes | None]] = []
    for n in range(min_s + 1, max_s + 1):
        chosen = best.get(Seq(n))
        if chosen is None:
            entries.append((Seq(n), batch_digest(None), None))
        else:
            entries.append((Seq(n), chosen.digest, chosen.pre_prepare.body.payload))
    return NewViewPlan(stable, tuple(entries))


def verify_new_view(
    nv: Signed[NewView],
    validators: ValidatorSet,
    chain_id: str,
    verifier: Verifier,
    *,
    start_seq: Seq,
    window: int,
) -> NewViewPlan:
    """Check a new-view message completely and return the plan it carries out."""
    view = nv.body.view
    if nv.sender != validators.primary(view):
        raise InvalidMessage("new-view not sent by the new primary")
    senders = {vc.sender for vc in nv.body.view_changes}
    if len(senders) < validators.quorum:
        raise InvalidMessage("new-view holds fewer than 2f+1 view-changes")
    for vc in nv.body.view_changes:
        if vc.body.new_view != view:
            raise InvalidMessage("new-view holds a view-change for another view")
        verify_view_change(vc, validators, chain_id, verifier, start_seq=start_seq, window=window)
    plan = plan_new_view(nv.body.view_changes, start_seq)
    if len(plan.entries) != len(nv.body.pre_prepares):
        raise InvalidMessage("new-view pre-prepares do not match the view-changes")
    for (seq, dig, payload), pp in zip(plan.entries, nv.body.pre_prepares, strict=True):
        if pp.body != PrePrepare(view, seq, dig, payload):
            raise InvalidMessage("new-view pre-prepare differs from the one V implies")
        try:
            verify_pre_prepare(pp, validators, chain_id, verifier)
        except InvalidCertificate as exc:
            raise InvalidMessage(f"new-view pre-prepare: {exc.message}") from exc
    return plan
