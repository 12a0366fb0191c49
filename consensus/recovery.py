"""Crash recovery: rebuild a replica's state from its write-ahead log.

The log holds every vote the replica signed, its prepared certificates, its stable
checkpoints and the new-views it accepted (`consensus.records`). Replaying them in
order restores the view (the last view-change or new-view), the (view, seq) -> digest
map that `Replica.accept_pre_prepare` refuses to contradict, the next sequence number
a primary may assign, and the prepared certificates its view-changes must report.
Votes received from others are not persisted: peers resend what is missing in answer
to STATUS messages. Commit certificates of executed blocks come back from the
application's block store, so a restarted replica can still serve them to peers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from consensus.base import Seq, View
from consensus.certificates import CommitCertificate
from consensus.errors import StateCorrupt
from consensus.messages import Checkpoint, Commit, Prepare, PrePrepare, Signed
from consensus.records import EpochRecord, PreparedRecord, Record, SentRecord, StableRecord
from consensus.view_change import NewView, ViewChange

if TYPE_CHECKING:
    from consensus.replica import Replica


def replay(
    r: Replica,
    records: list[Record],
    executed: Seq,
    blocks: Sequence[tuple[CommitCertificate, bytes | None]] = (),
) -> None:
    epoch = r.validators.epoch
    for record in records:
        if isinstance(record, EpochRecord):
            if record.validators.epoch < epoch:
                old = replace(r.config, validators=record.validators, index=record.index)
                r.epochs.remember(old, record.final)
            continue
        if _epoch_of(record) != epoch:
            continue  # written in an earlier epoch: nothing in it binds this one
        if isinstance(record, StableRecord):
            if record.certificate.seq > r.low:
                r.adopt_stable(record.certificate)
        elif isinstance(record, PreparedRecord):
            cert = record.certificate
            if cert.seq > r.low:
                held = r.prepared.get(cert.seq)
                if held is None or held.view < cert.view:
                    r.prepared[cert.seq] = cert
                r.commit_sent.add((cert.view, cert.seq))
                r.remember_payload(cert.seq, cert.digest, cert.pre_prepare.body.payload)
        elif isinstance(record, SentRecord):
            _replay_sent(r, record.message)
        else:
            _replay_new_view(r, record.message)
    r.delivered = Seq(max(r.config.start_seq, executed))
    for block, payload in blocks:  # the application's stored blocks: we can serve them
        if r.low < block.seq <= r.delivered and block.epoch == epoch:
            r.committed[block.seq] = (block, payload)
    r.next_seq = Seq(max(r.next_seq, r.low + 1))
    r.assigned = {
        d for (view, _), pp in r.pre_prepares.items() if view == r.view for d in [pp.body.digest]
    }


def _epoch_of(record: Record) -> int:
    if isinstance(record, EpochRecord):
        return record.validators.epoch
    if isinstance(record, StableRecord):
        return record.certificate.epoch
    if isinstance(record, PreparedRecord):
        return record.certificate.pre_prepare.epoch
    return record.message.epoch


def _enter_view(r: Replica, view: View) -> None:
    if view > r.view:
        r.view = view
        r.active = True


def _replay_sent(r: Replica, msg: Signed[Any]) -> None:
    if msg.sender != r.me:
        raise StateCorrupt("the consensus log holds a message signed by another replica")
    body = msg.body
    if isinstance(body, (PrePrepare, Prepare, Commit)):
        _enter_view(r, body.view)
        if body.seq <= r.low:
            return
        r.own_votes[(body.view, body.seq)] = body.digest
        if isinstance(body, PrePrepare):
            r.pre_prepares[(body.view, body.seq)] = msg
            r.remember_payload(body.seq, body.digest, body.payload)
            if body.view == r.view:
                r.next_seq = Seq(max(r.next_seq, body.seq + 1))
        elif isinstance(body, Prepare):
            r.dispatch(msg)
        else:
            r.commit_sent.add((body.view, body.seq))
            r.dispatch(msg)
    elif isinstance(body, Checkpoint):
        if body.seq > r.low:
            r.checkpoints.setdefault(body.seq, {}).setdefault(body.state_root, {})[r.me] = (
                msg.signature
            )
            r.own_checkpoints[body.seq] = msg
    elif isinstance(body, ViewChange):
        if body.new_view >= r.view:
            r.view = body.new_view
            r.active = False
            r.changer.vcs[r.me] = msg
            r.changer.own_vc = msg
            r.changer.new_view_msg = None
    elif isinstance(body, NewView):
        _replay_new_view(r, msg)


def _replay_new_view(r: Replica, msg: Signed[Any]) -> None:
    body = msg.body
    if not isinstance(body, NewView):
        raise StateCorrupt("a new-view record holds another kind of message")
    if body.view < r.view:
        return
    r.view = body.view
    r.active = True
    r.changer.new_view_msg = msg
    for pp in body.pre_prepares:
        seq = pp.body.seq
        if seq <= r.low:
            continue
        r.pre_prepares[(body.view, seq)] = pp
        r.remember_payload(seq, pp.body.digest, pp.body.payload)
        if msg.sender == r.me:
            r.own_votes[(body.view, seq)] = pp.body.digest
        r.next_seq = Seq(max(r.next_seq, seq + 1))
