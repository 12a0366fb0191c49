"""Crash recovery from the persisted log: no contradiction of earlier votes."""

from __future__ import annotations

import pytest

from consensus.base import Seq, View, batch_digest
from consensus.crypto import StubSigner, StubVerifier
from consensus.effects import Persist
from consensus.errors import StateCorrupt
from consensus.messages import Commit, Prepare, PrePrepare
from consensus.records import Record, SentRecord, decode_record, encode_record
from consensus.replica import Replica
from consensus.simnet import valid_payload
from consensus.view_change import ViewChange
from tests.unit.consensus.helpers import bodies, config, pre_prepare, replica, signed


def log_of(effects: list[object]) -> list[Record]:
    return [e.record for e in effects if isinstance(e, Persist)]


def restart(index: int, records: list[Record], executed: int = 0, n: int = 4) -> Replica:
    cfg = config(n, index)
    signer = StubSigner(cfg.validators.key(index))
    return Replica.restore(cfg, signer, StubVerifier(), valid_payload, records, Seq(executed))


def test_restarted_backup_never_prepares_a_second_digest() -> None:
    r = replica(4, 1)
    records = log_of(r.on_message(pre_prepare(4, 0, 1, b"tx:a")))
    again = restart(1, records)
    assert bodies(again.on_message(pre_prepare(4, 0, 1, b"tx:b")), Prepare) == []
    assert again.own_votes[(View(0), Seq(1))] == batch_digest(b"tx:a")


def test_restarted_primary_does_not_reuse_a_sequence_number() -> None:
    r = replica(4, 0)
    records = log_of(r.propose(b"tx:a")) + log_of(r.propose(b"tx:b"))
    again = restart(0, records)
    again.start()
    seqs = [pp.seq for pp in bodies(again.propose(b"tx:c"), PrePrepare)]
    assert seqs == [3]


def test_restart_keeps_view_change_state_and_prepared_certificates() -> None:
    r = replica(4, 1)
    records = log_of(r.on_message(pre_prepare(4, 0, 1, b"tx:a")))
    records += log_of(r.on_message(signed(4, 2, Prepare(View(0), Seq(1), batch_digest(b"tx:a")))))
    records += log_of(r.changer.start(View(1)))
    again = restart(1, records)
    assert again.view == 1 and not again.active
    assert list(again.prepared) == [1]
    assert (View(0), Seq(1)) in again.commit_sent
    effects = again.changer.start(View(2))
    (vc,) = bodies(effects, ViewChange)
    assert [c.seq for c in vc.prepared] == [1]


def test_restart_below_a_stable_checkpoint_requests_state_transfer() -> None:
    r = replica(1, 0, checkpoint_interval=2, window=4)
    records: list[Record] = []
    for i in range(3):
        effects = r.propose(b"tx:%d" % i)
        records += log_of(effects)
        for e in effects:
            if hasattr(e, "certificate") and hasattr(e, "payload"):
                records += log_of(r.on_executed(e.seq, batch_digest(b"root")))  # type: ignore[attr-defined]
    again = restart(0, records, executed=0, n=1)
    assert again.low == 2
    effects = again.start()
    assert any(type(e).__name__ == "RequestStateTransfer" for e in effects)
    # seq 3 was committed before the crash (its commit is in the log): it follows
    resumed = again.on_state_transferred(Seq(2))
    assert [e.seq for e in resumed if type(e).__name__ == "Deliver"] == [3]  # type: ignore[attr-defined]
    assert again.delivered == 3


def test_records_round_trip_and_damage_is_detected() -> None:
    r = replica(4, 1)
    records = log_of(r.on_message(pre_prepare(4, 0, 1, b"tx:a")))
    records += log_of(r.on_message(signed(4, 2, Prepare(View(0), Seq(1), batch_digest(b"tx:a")))))
    for record in records:
        assert decode_record(encode_record(record)) == record
    with pytest.raises(StateCorrupt):
        decode_record(b"\x92\x07\x90")
    with pytest.raises(StateCorrupt):
        decode_record(encode_record(records[0])[:-3])


def test_log_of_another_replica_is_refused() -> None:
    r = replica(4, 2)
    records = log_of(r.on_message(pre_prepare(4, 0, 1, b"tx:a")))
    with pytest.raises(StateCorrupt):
        restart(1, records)


def test_commit_votes_are_restored() -> None:
    r = replica(4, 1)
    d = batch_digest(b"tx:a")
    records = log_of(r.on_message(pre_prepare(4, 0, 1, b"tx:a")))
    records += log_of(r.on_message(signed(4, 2, Prepare(View(0), Seq(1), d))))
    assert any(
        isinstance(rec, SentRecord) and isinstance(rec.message.body, Commit) for rec in records
    )
    again = restart(1, records)
    for sender in (0, 2):
        effects = again.on_message(signed(4, sender, Commit(View(0), Seq(1), d)))
    assert [e.seq for e in effects if type(e).__name__ == "Deliver"] == [1]  # type: ignore[attr-defined]


def test_restart_after_a_new_view_restores_the_view_and_its_pre_prepares() -> None:
    from consensus.records import NewViewRecord, PreparedRecord, StableRecord
    from tests.unit.consensus.helpers import Loopback

    replicas = [replica(4, i) for i in range(4)]
    net = Loopback(replicas)
    net.run(1, replicas[1].on_message(pre_prepare(4, 0, 1, b"tx:a")))
    logs: dict[int, list[Record]] = {i: [] for i in range(4)}
    for r in replicas:
        effects = r.changer.start(View(1))
        logs[r.me] += log_of(effects)
        net.run(r.me, effects)
    assert all(r.active and r.view == 1 for r in replicas)
    primary = restart(1, logs[1] + [NewViewRecord(replicas[1].changer.new_view_msg)])  # type: ignore[arg-type]
    assert primary.view == 1 and primary.active
    nv = replicas[1].changer.new_view_msg
    assert nv is not None
    backup = restart(2, logs[2] + [NewViewRecord(nv)])
    assert backup.view == 1 and backup.active and backup.changer.new_view_msg == nv
    seqs = [pp.body.seq for pp in nv.body.pre_prepares]
    assert all((View(1), s) in backup.pre_prepares for s in seqs)
    for record in (NewViewRecord(nv),):
        assert decode_record(encode_record(record)) == record
    kinds = {type(rec) for rec in logs[1]}
    assert SentRecord in kinds and PreparedRecord not in kinds and StableRecord not in kinds


def test_records_of_an_earlier_epoch_are_skipped() -> None:
    from consensus.messages import Signed

    r = replica(4, 1)
    records = log_of(r.on_message(pre_prepare(4, 0, 1, b"tx:a")))
    old = records[0]
    assert isinstance(old, SentRecord)
    msg = old.message
    shifted = SentRecord(Signed(msg.chain_id, msg.epoch + 1, msg.sender, msg.body, msg.signature))
    again = restart(1, [shifted])
    assert again.own_votes == {}


def test_checkpoint_votes_and_stable_checkpoints_are_restored() -> None:
    from consensus.records import StableRecord

    r = replica(1, 0, checkpoint_interval=2, window=4)
    records: list[Record] = []
    for i in range(2):
        for e in r.propose(b"tx:%d" % i):
            if isinstance(e, Persist):
                records.append(e.record)
            if type(e).__name__ == "Deliver":
                records += log_of(r.on_executed(e.seq, batch_digest(b"root")))  # type: ignore[attr-defined]
    stable = [rec for rec in records if isinstance(rec, StableRecord)]
    assert [s.certificate.seq for s in stable] == [2]
    assert decode_record(encode_record(stable[0])) == stable[0]
    again = restart(0, records, executed=2, n=1)
    assert again.low == 2 and again.stable == stable[0].certificate


def test_restart_of_new_primary_and_backup_keeps_the_o_set() -> None:
    from consensus.records import NewViewRecord
    from tests.unit.consensus.helpers import Loopback

    replicas = [replica(4, i) for i in range(4)]
    logs: dict[int, list[Record]] = {i: [] for i in range(4)}
    net = Loopback(replicas)
    d = batch_digest(b"tx:a")
    for i in (1, 2, 3):
        logs[i] += log_of(replicas[i].on_message(pre_prepare(4, 0, 2, b"tx:a")))
        for sender in (1, 2, 3):
            if sender != i:
                logs[i] += log_of(
                    replicas[i].on_message(signed(4, sender, Prepare(View(0), Seq(2), d)))
                )
    net.down.add(0)
    for i in (1, 2, 3):
        effects = replicas[i].changer.start(View(1))
        logs[i] += log_of(effects)
        net.run(i, effects)
    nv = replicas[1].changer.new_view_msg
    assert nv is not None and len(nv.body.pre_prepares) == 2
    primary = restart(1, logs[1] + [SentRecord(nv)])
    assert primary.view == 1 and primary.active
    assert primary.own_votes[(View(1), Seq(1))] == nv.body.pre_prepares[0].body.digest
    assert primary.next_seq == 3
    backup = restart(2, logs[2] + [NewViewRecord(nv)])
    assert (View(1), Seq(2)) in backup.pre_prepares and backup.next_seq == 3
    with pytest.raises(StateCorrupt):
        restart(2, [NewViewRecord(pre_prepare(4, 0, 1, b"tx:a"))])
    stale = restart(
        2,
        logs[2] + [NewViewRecord(nv)] + log_of(backup.changer.start(View(2))) + [NewViewRecord(nv)],
    )
    assert stale.view == 2 and not stale.active  # an older new-view does not move it back


def test_own_vote_in_a_later_view_restores_that_view() -> None:
    r = replica(4, 2)
    d = batch_digest(b"tx:a")
    records = log_of(r.on_message(signed(4, 1, Prepare(View(3), Seq(1), d))))
    assert records == []  # not our vote: nothing persisted
    mine = signed(4, 2, Prepare(View(3), Seq(1), d))
    again = restart(2, [SentRecord(mine)])
    assert again.view == 3 and again.active and again.own_votes[(View(3), Seq(1))] == d


def test_restarted_replica_serves_the_blocks_its_application_stored() -> None:
    from consensus.messages import Status
    from tests.unit.consensus.helpers import Loopback, bodies

    replicas = [replica(4, i) for i in range(4)]
    net = Loopback(replicas)
    net.down.add(3)
    net.run(0, replicas[0].propose(b"tx:a"))
    (block,) = net.delivered[1]
    cfg = config(4, 1)
    signer = StubSigner(cfg.validators.key(1))
    again = Replica.restore(
        cfg, signer, StubVerifier(), valid_payload, [], Seq(1), [(block.certificate, block.payload)]
    )
    answer = again.on_message(signed(4, 3, Status(View(0), True, Seq(0), Seq(0))))
    from consensus.certificates import CommitProof

    assert [(p.cert.seq, p.payload) for p in bodies(answer, CommitProof)] == [(1, b"tx:a")]
    forgetful = restart(1, [], executed=1)
    assert (
        bodies(
            forgetful.on_message(signed(4, 3, Status(View(0), True, Seq(0), Seq(0)))), CommitProof
        )
        == []
    )
