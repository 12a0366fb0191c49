"""Answers to STATUS messages: the retransmission that keeps lagging replicas live.

PBFT assumes messages are eventually delivered; over lossy links the BFT library
retransmits in response to status messages (TOCS section 5). A replica that is
waiting for something broadcasts STATUS(view, active, low watermark, delivered);
each peer answers with what the sender provably lacks:
- its stable checkpoint certificate, if the sender is below it (state transfer);
- its own checkpoint votes above the sender's stable checkpoint (lost votes would
  otherwise leave the low watermark, and so the window, stuck for good);
- commit certificates with their batches for seqs the sender has not delivered;
- its new-view (if it is in a later, established view) or its view-change (if it is
  itself changing view), so the sender can follow or reach the 2f+1 it needs.
Everything sent is self-certifying, so answers from a faulty peer cannot mislead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consensus.base import ReplicaId, Seq, batch_digest
from consensus.certificates import (
    CheckpointProof,
    CommitProof,
    verify_checkpoint_certificate,
    verify_commit_certificate,
)
from consensus.effects import Effect
from consensus.errors import InvalidCertificate, InvalidMessage
from consensus.messages import Status

if TYPE_CHECKING:
    from consensus.replica import Replica


def answer_status(r: Replica, sender: ReplicaId, status: Status) -> list[Effect]:
    effects: list[Effect] = []
    if status.delivered < r.low and r.stable is not None:
        effects.append(r.send(sender, r.sign(CheckpointProof(r.stable))))
    for at, checkpoint in sorted(r.own_checkpoints.items()):
        if at > status.stable_seq:  # our vote may be what its checkpoint lacks
            effects.append(r.send(sender, checkpoint))
    first = max(status.delivered, r.low) + 1
    for seq in range(first, min(r.delivered, first + r.config.window - 1) + 1):
        entry = r.committed.get(Seq(seq))
        if entry is not None:
            effects.append(r.send(sender, r.sign(CommitProof(entry[0], entry[1]))))
    behind = status.view < r.view or (status.view == r.view and not status.active)
    changer = r.changer
    if behind and r.active and changer.new_view_msg is not None:
        effects.append(r.send(sender, changer.new_view_msg))
    elif behind and not r.active and changer.own_vc is not None:
        if changer.own_vc.body.new_view == r.view:
            effects.append(r.send(sender, changer.own_vc))
    elif status.view > r.view:
        effects.append(r.send(sender, r.sign(Status(r.view, r.active, r.low, r.delivered))))
    return effects


def on_commit_proof(r: Replica, proof: CommitProof) -> list[Effect]:
    """A commit certificate with its batch, from a peer answering our STATUS."""
    cert = proof.cert
    if not r.in_window(cert.seq) or cert.seq in r.committed:
        return []
    if cert.seq <= r.delivered or batch_digest(proof.payload) != cert.digest:
        return []
    try:
        verify_commit_certificate(cert, r.validators, r.config.chain_id, r.verifier)
    except InvalidCertificate as exc:
        raise InvalidMessage(f"commit proof: {exc.message}") from exc
    r.committed[cert.seq] = (cert, proof.payload)
    return r.try_deliver()


def on_checkpoint_proof(r: Replica, proof: CheckpointProof) -> list[Effect]:
    """A peer's stable checkpoint certificate: adopt it if it is ahead of ours."""
    cert = proof.cert
    if cert.seq <= r.low:
        return []
    try:
        verify_checkpoint_certificate(cert, r.validators, r.config.chain_id, r.verifier)
    except InvalidCertificate as exc:
        raise InvalidMessage(f"checkpoint proof: {exc.message}") from exc
    return r.make_stable(cert)
