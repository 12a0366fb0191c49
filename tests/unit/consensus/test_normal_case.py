"""Handlers of the normal case: pre-prepare, prepare, commit, delivery, watermarks."""

from __future__ import annotations

import pytest

from consensus.base import Digest, ReplicaId, Seq, View, batch_digest
from consensus.effects import Broadcast, Persist, SetTimer, TimerKind
from consensus.errors import ConfigError, InvalidMessage
from consensus.messages import Commit, Prepare, PrePrepare, Status
from consensus.records import PreparedRecord, SentRecord
from tests.unit.consensus.helpers import (
    Loopback,
    bodies,
    delivered,
    persisted,
    pre_prepare,
    replica,
    sent,
    signed,
)

D = batch_digest(b"tx:a")


def test_single_validator_commits_on_propose() -> None:
    r = replica(1, 0)
    effects = r.propose(b"tx:a")
    out = delivered(effects)
    assert [(d.seq, d.payload) for d in out] == [(1, b"tx:a")]
    assert len(out[0].certificate.votes) == 1
    assert not sent(effects)  # nobody to talk to
    kinds = [type(e.record) for e in persisted(effects)]
    assert SentRecord in kinds and PreparedRecord in kinds


def test_single_validator_checkpoints_and_collects_garbage() -> None:
    r = replica(1, 0, checkpoint_interval=2, window=4)
    for i in range(6):
        for d in delivered(r.propose(b"tx:%d" % i)):
            r.on_executed(d.seq, Digest(b"\x02" * 32))
    assert r.delivered == 6 and r.low == 6
    assert r.stable is not None and r.stable.seq == 6
    assert not r.pre_prepares and not r.committed


def test_primary_pre_prepares_and_persists_before_broadcast() -> None:
    r = replica(4, 0)
    effects = r.propose(b"tx:a")
    kinds = [type(e) for e in effects if isinstance(e, (Persist, Broadcast))]
    assert kinds[:2] == [Persist, Broadcast]
    (pp,) = bodies(effects, PrePrepare)
    assert (pp.view, pp.seq, pp.payload) == (0, 1, b"tx:a")
    assert any(isinstance(e, SetTimer) and e.timer.kind is TimerKind.PROGRESS for e in effects)


def test_backup_prepares_a_valid_pre_prepare_once() -> None:
    r = replica(4, 1)
    effects = r.on_message(pre_prepare(4, 0, 1, b"tx:a").encode())
    assert bodies(effects, Prepare) == [Prepare(View(0), Seq(1), D)]
    assert isinstance(persisted(effects)[0].record, SentRecord)
    assert r.on_message(pre_prepare(4, 0, 1, b"tx:a")) == []


def test_backup_ignores_equivocating_pre_prepare() -> None:
    r = replica(4, 1)
    r.on_message(pre_prepare(4, 0, 1, b"tx:a"))
    effects = r.on_message(pre_prepare(4, 0, 1, b"tx:b"))
    assert bodies(effects, Prepare) == []
    assert r.own_votes[(View(0), Seq(1))] == D


def test_pre_prepare_from_a_backup_is_rejected() -> None:
    r = replica(4, 2)
    body = PrePrepare(View(0), Seq(1), D, b"tx:a")
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, body))


def test_pre_prepare_with_wrong_digest_is_rejected() -> None:
    r = replica(4, 1)
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 0, PrePrepare(View(0), Seq(1), D, b"tx:b")))


def test_invalid_batch_gets_no_prepare() -> None:
    r = replica(4, 1)
    assert bodies(r.on_message(pre_prepare(4, 0, 1, b"bad:x")), Prepare) == []


def test_forged_signature_and_foreign_chain_are_rejected() -> None:
    r = replica(4, 1)
    good = pre_prepare(4, 0, 1, b"tx:a")
    forged = type(good)(good.chain_id, good.epoch, good.sender, good.body, b"\x00" * 64)
    with pytest.raises(InvalidMessage):
        r.on_message(forged)
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 0, good.body, chain="other"))
    with pytest.raises(InvalidMessage):
        r.on_message(b"\x93\x01\x02")


def test_other_epoch_is_ignored_not_counted() -> None:
    r = replica(4, 1)
    assert r.on_message(signed(4, 0, pre_prepare(4, 0, 1, b"tx:a").body, epoch=1)) == []
    assert not r.pre_prepares


def test_prepare_quorum_leads_to_commit_and_commit_quorum_to_delivery() -> None:
    r = replica(4, 1)
    r.on_message(pre_prepare(4, 0, 1, b"tx:a"))
    effects = r.on_message(signed(4, 2, Prepare(View(0), Seq(1), D)))
    assert bodies(effects, Commit) == [Commit(View(0), Seq(1), D)]
    assert [type(p.record) for p in persisted(effects)][0] is PreparedRecord
    assert delivered(r.on_message(signed(4, 2, Commit(View(0), Seq(1), D)))) == []
    effects = r.on_message(signed(4, 3, Commit(View(0), Seq(1), D)))
    (d,) = delivered(effects)
    assert (d.seq, d.payload, len(d.certificate.votes)) == (1, b"tx:a", 3)


def test_prepare_from_primary_is_rejected_and_repeats_do_not_count() -> None:
    r = replica(4, 1)
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 0, Prepare(View(0), Seq(1), D)))
    r.on_message(signed(4, 2, Prepare(View(0), Seq(1), D)))
    other = Prepare(View(0), Seq(1), batch_digest(b"tx:z"))
    r.on_message(signed(4, 2, other))  # a second, different vote from 2 is ignored
    assert r.prepares[Seq(1)].get((View(0), other.digest)) is None


def test_commits_before_the_pre_prepare_deliver_once_the_batch_arrives() -> None:
    r = replica(4, 1)
    for sender in (0, 2, 3):
        assert delivered(r.on_message(signed(4, sender, Commit(View(0), Seq(1), D)))) == []
    effects = r.on_message(pre_prepare(4, 0, 1, b"tx:a"))
    assert [d.seq for d in delivered(effects)] == [1]


def test_delivery_is_in_order() -> None:
    r = replica(4, 1)
    d2 = batch_digest(b"tx:b")
    r.on_message(pre_prepare(4, 0, 2, b"tx:b"))
    for sender in (0, 2, 3):
        assert delivered(r.on_message(signed(4, sender, Commit(View(0), Seq(2), d2)))) == []
    r.on_message(pre_prepare(4, 0, 1, b"tx:a"))
    out: list[int] = []
    for sender in (0, 2, 3):
        out += [
            d.seq for d in delivered(r.on_message(signed(4, sender, Commit(View(0), Seq(1), D))))
        ]
    assert out == [1, 2]


def test_watermarks() -> None:
    r = replica(4, 1, checkpoint_interval=4, window=8)
    assert [s for s in range(0, 20) if r.in_window(s)] == list(range(1, 9))
    assert [s for s in range(0, 20) if r.in_reach(s)] == list(range(1, 17))
    assert bodies(r.on_message(pre_prepare(4, 0, 9, b"tx:a")), Prepare) == []
    assert (View(0), Seq(9)) in r.deferred
    assert r.on_message(pre_prepare(4, 0, 17, b"tx:b")) == []
    assert (View(0), Seq(17)) not in r.deferred


def test_primary_stops_at_the_high_watermark() -> None:
    r = replica(4, 0, checkpoint_interval=2, window=4)
    seqs = []
    for i in range(7):
        seqs += [pp.seq for pp in bodies(r.propose(b"tx:%d" % i), PrePrepare)]
    assert seqs == [1, 2, 3, 4]
    assert len(r.pool) == 7


def test_four_replicas_commit_a_batch_over_loopback() -> None:
    replicas = [replica(4, i) for i in range(4)]
    net = Loopback(replicas)
    for r in replicas[1:]:
        r.propose(b"tx:a")
    net.run(0, replicas[0].propose(b"tx:a"))
    assert all([d.payload for d in net.delivered[i]] == [b"tx:a"] for i in range(4))
    assert all(not r.pool for r in replicas)


def test_three_of_four_suffice() -> None:
    replicas = [replica(4, i) for i in range(4)]
    net = Loopback(replicas)
    net.down.add(3)
    net.run(0, replicas[0].propose(b"tx:a"))
    assert [len(net.delivered[i]) for i in range(4)] == [1, 1, 1, 0]


def test_checkpoint_becomes_stable_and_collects_garbage() -> None:
    replicas = [replica(4, i, checkpoint_interval=2, window=4) for i in range(4)]
    net = Loopback(replicas)
    for i in range(5):
        net.run(0, replicas[0].propose(b"tx:%d" % i))
    for r in replicas:
        assert r.delivered == 5 and r.low == 4
        assert r.stable is not None and len(r.stable.votes) >= 3
        assert all(seq > 4 for seq in r.committed)


def test_status_is_answered_with_commit_proofs() -> None:
    replicas = [replica(4, i) for i in range(4)]
    net = Loopback(replicas)
    net.down.add(3)
    net.run(0, replicas[0].propose(b"tx:a"))
    net.down.clear()
    status = signed(4, 3, Status(View(0), True, Seq(0), Seq(0)))
    answer = replicas[1].on_message(status)
    net.run(1, answer)
    assert [d.payload for d in net.delivered[3]] == [b"tx:a"]


def test_unknown_sender_is_rejected() -> None:
    r = replica(4, 1)
    msg = signed(4, 2, Prepare(View(0), Seq(1), D))
    bad = type(msg)(msg.chain_id, msg.epoch, ReplicaId(9), msg.body, msg.signature)
    with pytest.raises(InvalidMessage):
        r.on_message(bad)


def test_on_executed_for_undelivered_seq_is_refused() -> None:
    r = replica(4, 1)
    with pytest.raises(InvalidMessage):
        r.on_executed(Seq(4), Digest(b"\x00" * 32))


def test_signer_must_match_the_configured_key() -> None:
    from consensus.crypto import StubSigner, StubVerifier
    from consensus.replica import Replica
    from consensus.simnet import valid_payload
    from tests.unit.consensus.helpers import config

    with pytest.raises(ConfigError):
        Replica(config(4, 0), StubSigner(b"\x09" * 32), StubVerifier(), valid_payload)
