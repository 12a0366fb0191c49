"""Status answers, commit and checkpoint proofs, and the request timer's fairness."""

from __future__ import annotations

from typing import Any

import pytest

from consensus.base import Digest, Epoch, Seq, View, batch_digest
from consensus.certificates import (
    CheckpointCertificate,
    CheckpointProof,
    CommitCertificate,
    CommitProof,
    Vote,
)
from consensus.effects import CancelTimer, RequestStateTransfer, SetTimer, TimerKind
from consensus.errors import InvalidMessage
from consensus.messages import Commit, Status
from consensus.replica import Replica
from consensus.view_change import NewView, ViewChange
from tests.unit.consensus.helpers import (
    CHAIN,
    Loopback,
    bodies,
    delivered,
    pre_prepare,
    replica,
    signed,
)

ROOT = Digest(b"\x01" * 32)


def committed_network(blocks: int, **kw: Any) -> tuple[list[Replica], Loopback]:
    replicas = [replica(4, i, **kw) for i in range(4)]
    net = Loopback(replicas)
    net.down.add(3)
    for k in range(blocks):
        net.run(0, replicas[0].propose(b"tx:%d" % k))
    net.down.clear()
    return replicas, net


def test_forged_commit_proof_is_rejected() -> None:
    r = replica(4, 1)
    votes = tuple(Vote(i, b"\x05" * 64) for i in (0, 2, 3))  # type: ignore[arg-type]
    cert = CommitCertificate(CHAIN, Epoch(0), View(0), Seq(1), batch_digest(b"tx:a"), votes)
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 2, CommitProof(cert, b"tx:a")))
    assert r.delivered == 0


def test_commit_proof_with_the_wrong_batch_is_ignored() -> None:
    replicas, _ = committed_network(1)
    cert = replicas[0].committed[Seq(1)][0]
    assert replicas[3].on_message(signed(4, 2, CommitProof(cert, b"tx:other"))) == []
    assert [
        d.payload
        for d in delivered(replicas[3].on_message(signed(4, 2, CommitProof(cert, b"tx:0"))))
    ] == [b"tx:0"]


def test_lagging_replica_gets_checkpoint_proof_and_requests_state() -> None:
    replicas, net = committed_network(5, checkpoint_interval=2, window=4)
    status = signed(4, 3, Status(View(0), True, Seq(0), Seq(0)))
    answer = replicas[1].on_message(status)
    (proof,) = bodies(answer, CheckpointProof)
    assert proof.cert.seq == 4
    effects = replicas[3].on_message(signed(4, 1, proof))
    assert [e.certificate.seq for e in effects if isinstance(e, RequestStateTransfer)] == [4]
    assert replicas[3].on_state_transferred(Seq(3)) == []  # not the certified state
    replicas[3].on_state_transferred(Seq(4))
    assert replicas[3].delivered == 4 and replicas[3].awaiting_transfer is None


def test_forged_checkpoint_proof_is_rejected() -> None:
    r = replica(4, 3)
    votes = tuple(Vote(i, b"\x05" * 64) for i in (0, 1, 2))  # type: ignore[arg-type]
    cert = CheckpointCertificate(CHAIN, Epoch(0), Seq(4), ROOT, votes)
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, CheckpointProof(cert)))
    assert r.low == 0


def test_status_from_a_replica_in_an_older_view_gets_the_new_view() -> None:
    replicas = [replica(4, i) for i in range(4)]
    net = Loopback(replicas)
    net.down.add(3)
    for r in replicas[:3]:
        net.run(r.me, r.changer.start(View(1)))
    answer = replicas[2].on_message(signed(4, 3, Status(View(0), True, Seq(0), Seq(0))))
    assert len(bodies(answer, NewView)) == 1


def test_status_from_a_replica_in_the_same_view_change_gets_our_view_change() -> None:
    r = replica(4, 2)
    r.changer.start(View(1))
    answer = r.on_message(signed(4, 3, Status(View(1), False, Seq(0), Seq(0))))
    assert [vc.new_view for vc in bodies(answer, ViewChange)] == [1]


def test_status_from_a_replica_ahead_gets_our_status() -> None:
    r = replica(4, 2)
    answer = r.on_message(signed(4, 3, Status(View(4), False, Seq(0), Seq(0))))
    assert [s.view for s in bodies(answer, Status)] == [0]


def test_status_timer_broadcasts_while_waiting() -> None:
    r = replica(4, 2)
    effects = r.propose(b"tx:a")
    (timer,) = [
        e.timer for e in effects if isinstance(e, SetTimer) and e.timer.kind is TimerKind.STATUS
    ]
    out = r.on_timer(timer)
    assert [s.delivered for s in bodies(out, Status)] == [0]


def test_committing_other_batches_does_not_restart_the_request_timer() -> None:
    r = replica(4, 1)
    first = [
        e
        for e in r.propose(b"tx:mine")
        if isinstance(e, SetTimer) and e.timer.kind is TimerKind.PROGRESS
    ]
    assert len(first) == 1
    r.on_message(pre_prepare(4, 0, 1, b"tx:other"))
    effects = []
    for sender in (0, 2, 3):
        effects += r.on_message(
            signed(4, sender, Commit(View(0), Seq(1), batch_digest(b"tx:other")))
        )
    assert [d.payload for d in delivered(effects)] == [b"tx:other"]
    assert not any(isinstance(e, SetTimer) and e.timer.kind is TimerKind.PROGRESS for e in effects)
    assert r.timer_running(TimerKind.PROGRESS)


def test_withdraw_stops_the_request_timer() -> None:
    r = replica(4, 1)
    r.propose(b"tx:a")
    effects = r.withdraw(batch_digest(b"tx:a"))
    assert any(isinstance(e, CancelTimer) and e.timer.kind is TimerKind.PROGRESS for e in effects)
    assert r.withdraw(batch_digest(b"tx:a")) == []
