"""Validator-set changes: boundary arithmetic, the switch, retirement, laggards."""

from __future__ import annotations

import pytest

from consensus.base import Digest, Epoch, Seq, View
from consensus.certificates import CheckpointProof
from consensus.config import ValidatorSet
from consensus.effects import Deliver, Effect, EpochStarted
from consensus.messages import PrePrepare, Status
from consensus.replica import Replica
from tests.unit.consensus.helpers import Loopback, bodies, replica, signed, validators

ROOT = Digest(b"\x01" * 32)


def next_set(n: int) -> ValidatorSet:
    return ValidatorSet(Epoch(1), validators(n).keys)


def test_boundary_is_the_checkpoint_after_s_plus_the_window() -> None:
    r = replica(4, 0, checkpoint_interval=4, window=8)
    assert [r.epochs.boundary_for(Seq(s)) for s in (1, 4, 5, 8, 9)] == [12, 12, 16, 16, 20]


def test_nothing_past_the_boundary_is_ordered_by_the_old_set() -> None:
    r = replica(4, 1, checkpoint_interval=4, window=8)
    r.delivered = Seq(1)
    r.on_executed(Seq(1), ROOT, next_set(4))
    assert r.epochs.last_seq() == 12
    assert [s for s in range(20) if r.in_reach(s)] == list(range(1, 13))


def drive(r: Replica, effects: list[Effect], change: ValidatorSet | None = None) -> list[Effect]:
    """Execute every delivered batch at once, as a one-validator node would."""
    seen: list[Effect] = []
    queue = list(effects)
    while queue:
        e = queue.pop(0)
        seen.append(e)
        if isinstance(e, Deliver):
            queue += r.on_executed(e.seq, ROOT, change if e.seq == 1 else None)
    return seen


def test_single_validator_fills_with_null_batches_and_switches() -> None:
    r = replica(1, 0, checkpoint_interval=2, window=4)
    seen = drive(r, r.propose(b"tx:a"), next_set(1))
    delivered = [(e.seq, e.payload) for e in seen if isinstance(e, Deliver)]
    assert delivered == [(1, b"tx:a"), (2, None), (3, None), (4, None), (5, None), (6, None)]
    assert [e for e in seen if isinstance(e, EpochStarted)] == [EpochStarted(next_set(1), Seq(6))]
    assert r.validators.epoch == 1 and r.low == 6 and r.config.start_seq == 6
    after = [e for e in r.propose(b"tx:b") if isinstance(e, Deliver)]
    assert [(e.seq, e.certificate.epoch) for e in after] == [(7, 1)]


def run_to_switch(n: int) -> tuple[list, Loopback]:  # type: ignore[type-arg]
    replicas = [replica(n, i, checkpoint_interval=2, window=2) for i in range(n)]
    net = Loopback(replicas)
    net.run(0, replicas[0].propose(b"tx:a"))
    for r in replicas:
        net.run(r.me, r.schedule_validators(Seq(1), next_set(n)))
    return replicas, net


def test_four_replicas_switch_together_and_keep_ordering() -> None:
    replicas, net = run_to_switch(4)
    assert all(r.validators.epoch == 1 and r.low == 4 for r in replicas)
    net.run(0, replicas[0].propose(b"tx:b"))
    assert all([d.payload for d in net.delivered[i]][-1] == b"tx:b" for i in range(4))


def test_replica_left_out_of_the_new_set_retires() -> None:
    r = replica(1, 0, checkpoint_interval=2, window=2)
    other = ValidatorSet(Epoch(1), (b"\x09" * 32,))
    seen = drive(r, r.propose(b"tx:a"), other)
    assert r.epochs.retired
    assert [e for e in seen if isinstance(e, EpochStarted)] == [EpochStarted(other, Seq(4))]
    assert r.on_message(signed(1, 0, Status(View(0), True, Seq(0), Seq(0)), epoch=1)) == []
    assert r.epochs.future == []  # a retired replica keeps nothing


def test_next_epoch_messages_are_buffered_until_the_switch() -> None:
    r = replica(4, 1, checkpoint_interval=2, window=2)
    early = signed(4, 0, PrePrepare(View(0), Seq(5), Digest(b"\x00" * 32), None), epoch=1)
    assert r.on_message(early) == []
    assert r.epochs.future == [early]


def test_laggard_of_the_old_epoch_gets_the_final_checkpoint() -> None:
    replicas, _ = run_to_switch(4)
    status = signed(4, 3, Status(View(0), True, Seq(0), Seq(1)), epoch=0)
    answer = replicas[1].on_message(status)
    (proof,) = bodies(answer, CheckpointProof)
    assert proof.cert.seq == 4 and proof.cert.epoch == 0


def test_schedule_is_idempotent_and_ignores_wrong_epochs() -> None:
    r = replica(4, 1, checkpoint_interval=4, window=8)
    r.delivered = Seq(2)
    assert r.schedule_validators(Seq(2), ValidatorSet(Epoch(2), validators(4).keys)) == []
    assert r.epochs.pending is None
    assert r.schedule_validators(Seq(0), next_set(4)) == []  # before this epoch began
    r.schedule_validators(Seq(2), next_set(4))
    first = r.epochs.pending
    r.schedule_validators(Seq(3), next_set(4))
    assert r.epochs.pending == first


def test_buffered_forgeries_are_dropped_at_the_switch() -> None:
    from consensus.messages import Signed

    replicas = [replica(4, i, checkpoint_interval=2, window=2) for i in range(4)]
    net = Loopback(replicas)
    net.run(0, replicas[0].propose(b"tx:a"))
    early = signed(4, 0, Status(View(0), True, Seq(0), Seq(0)), epoch=1)
    forged = Signed(early.chain_id, early.epoch, early.sender, early.body, b"\x00" * 64)
    replicas[2].on_message(forged)
    replicas[2].on_message(early)
    assert len(replicas[2].epochs.future) == 2
    for r in replicas:
        net.run(r.me, r.schedule_validators(Seq(1), next_set(4)))
    assert replicas[2].validators.epoch == 1 and replicas[2].epochs.future == []


def test_old_epoch_messages_other_than_status_are_dropped() -> None:
    replicas, _ = run_to_switch(4)
    r = replicas[1]
    assert (
        r.on_message(signed(4, 3, PrePrepare(View(0), Seq(9), Digest(b"\x00" * 32), None), epoch=0))
        == []
    )
    caught_up = signed(4, 3, Status(View(0), True, Seq(4), Seq(4)), epoch=0)
    assert r.on_message(caught_up) == []
    from consensus.errors import InvalidMessage
    from consensus.messages import Signed

    bad = Signed(
        caught_up.chain_id,
        caught_up.epoch,
        caught_up.sender,
        Status(View(0), True, Seq(0), Seq(0)),
        b"\x00" * 64,
    )
    with pytest.raises(InvalidMessage):
        r.on_message(bad)


def test_final_checkpoints_survive_a_restart_and_help_laggards() -> None:
    from consensus.crypto import StubSigner, StubVerifier
    from consensus.records import EpochRecord, decode_record, encode_record
    from consensus.simnet import valid_payload

    replicas = [replica(4, i, checkpoint_interval=2, window=2) for i in range(4)]
    net = Loopback(replicas)
    net.run(0, replicas[0].propose(b"tx:a"))
    for r in replicas:
        net.run(r.me, r.schedule_validators(Seq(1), next_set(4)))
    assert replicas[1].validators.epoch == 1
    records = [rec for rec in replicas[1].epochs.previous.values()]
    assert [final.seq for _, final in records] == [4]
    epoch_record = EpochRecord(
        validators(4), replicas[1].epochs.previous[0][0].index, records[0][1]
    )
    assert decode_record(encode_record(epoch_record)) == epoch_record
    cfg = replicas[1].config
    again = Replica.restore(
        cfg,
        StubSigner(cfg.validators.key(1)),
        StubVerifier(),
        valid_payload,
        [epoch_record],
        Seq(4),
    )
    status = signed(4, 3, Status(View(0), True, Seq(0), Seq(1)), epoch=0)
    (proof,) = bodies(again.on_message(status), CheckpointProof)
    assert proof.cert == records[0][1]
