"""View change, new view, the join rule and timeouts (TOCS 4.4, 4.5.2)."""

from __future__ import annotations

from typing import Any

import pytest

from consensus.base import NULL_DIGEST, Seq, View, batch_digest
from consensus.certificates import PreparedCertificate, Vote
from consensus.effects import CancelTimer, SetTimer, TimerId, TimerKind
from consensus.errors import InvalidMessage
from consensus.messages import Commit, Prepare, PrePrepare, Signed
from consensus.replica import Replica
from consensus.view_change import NewView, ViewChange, plan_new_view
from tests.unit.consensus.helpers import Loopback, bodies, delivered, pre_prepare, replica, signed


def progress_timer(effects: list[Any]) -> TimerId:
    timers = [e.timer for e in effects if isinstance(e, SetTimer)]
    return [t for t in timers if t.kind is TimerKind.PROGRESS][-1]


def prepared_backup(index: int) -> Replica:
    """Replica `index` of 4, prepared on tx:a at (view 0, seq 2) and idle at seq 1."""
    r = replica(4, index)
    r.on_message(pre_prepare(4, 0, 2, b"tx:a"))
    for sender in (1, 2, 3):
        if sender != index:
            r.on_message(signed(4, sender, Prepare(View(0), Seq(2), batch_digest(b"tx:a"))))
    return r


def test_request_timer_expiry_sends_a_view_change_with_prepared_certificates() -> None:
    r = prepared_backup(1)
    timer = progress_timer(r.refresh_timers(progress=True))
    effects = r.on_timer(timer)
    (vc,) = bodies(effects, ViewChange)
    assert vc.new_view == 1 and vc.stable is None
    assert [(c.view, c.seq) for c in vc.prepared] == [(0, 2)]
    assert not r.active and r.view == 1


def test_stale_timer_is_ignored() -> None:
    r = replica(4, 1)
    first = progress_timer(r.propose(b"tx:a"))
    r.refresh_timers(progress=True)  # restarts the timer: a new generation
    assert r.on_timer(first) == []
    assert r.view == 0


def test_new_primary_reproposes_prepared_batch_and_fills_gap_with_null() -> None:
    replicas = [prepared_backup(i) if i else replica(4, 0) for i in range(4)]
    net = Loopback(replicas)
    net.down.add(0)  # the old primary is gone
    for r in replicas[1:]:
        net.run(r.me, r.changer.start(View(1)))
    new_primary = replicas[1]
    assert new_primary.active and new_primary.view == 1
    nv = new_primary.changer.new_view_msg
    assert nv is not None
    entries = [(pp.body.seq, pp.body.digest) for pp in nv.body.pre_prepares]
    assert entries == [(1, NULL_DIGEST), (2, batch_digest(b"tx:a"))]
    for i in (1, 2, 3):
        assert [(d.seq, d.payload) for d in net.delivered[i]] == [(1, None), (2, b"tx:a")]


def test_timeouts_double_per_failed_view_and_are_capped() -> None:
    r = replica(4, 1, base_timeout=100, max_timeout=800)
    durations = []
    for _ in range(6):
        durations.append(r.timeout())
        r.changer.start(View(r.view + 1))
    assert durations == [100, 200, 400, 800, 800, 800]


def vc_msg(sender: int, view: int, prepared: tuple[PreparedCertificate, ...] = ()) -> Signed[Any]:
    return signed(4, sender, ViewChange(View(view), None, prepared))


def test_f_plus_one_view_changes_for_higher_views_make_a_replica_join() -> None:
    r = replica(4, 3)
    assert bodies(r.on_message(vc_msg(1, 2)), ViewChange) == []
    effects = r.on_message(vc_msg(2, 5))
    (vc,) = bodies(effects, ViewChange)
    assert vc.new_view == 2 and r.view == 2


def test_new_view_timer_starts_only_with_2f_plus_1_view_changes() -> None:
    r = replica(4, 3)
    effects = r.changer.start(View(1))
    assert not any(isinstance(e, SetTimer) and e.timer.kind is TimerKind.NEW_VIEW for e in effects)
    r.on_message(vc_msg(0, 1))
    effects = r.on_message(vc_msg(2, 1))
    timers = [e for e in effects if isinstance(e, SetTimer) and e.timer.kind is TimerKind.NEW_VIEW]
    assert len(timers) == 1
    effects = r.on_timer(timers[0].timer)
    assert [vc.new_view for vc in bodies(effects, ViewChange)] == [2]


def forged_prepared(seq: int) -> PreparedCertificate:
    pp = pre_prepare(4, 0, seq, b"tx:x")
    return PreparedCertificate(pp, (Vote(1, b"\x01" * 64), Vote(2, b"\x02" * 64)))


def test_view_change_with_fabricated_prepared_certificate_is_rejected() -> None:
    r = replica(4, 3)
    with pytest.raises(InvalidMessage):
        r.on_message(vc_msg(1, 1, (forged_prepared(1),)))


def test_view_change_with_prepared_certificate_from_a_later_view_is_rejected() -> None:
    r = prepared_backup(1)
    cert = r.prepared[Seq(2)]
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 2, ViewChange(View(0), None, (cert,))))


def test_new_view_whose_o_does_not_follow_from_v_is_rejected() -> None:
    vcs = tuple(vc_msg(s, 1) for s in (0, 2, 3))
    evil = pre_prepare(4, 1, 1, b"tx:evil")
    r = replica(4, 2)
    r.changer.start(View(1))
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, NewView(View(1), vcs, (evil,))))
    with pytest.raises(InvalidMessage):  # too few view-changes
        r.on_message(signed(4, 1, NewView(View(1), vcs[:2], ())))
    with pytest.raises(InvalidMessage):  # not from the new primary
        r.on_message(signed(4, 3, NewView(View(1), vcs, ())))
    good = signed(4, 1, NewView(View(1), vcs, ()))
    r.on_message(good)
    assert r.active and r.view == 1


def test_plan_takes_highest_view_certificate_and_highest_checkpoint() -> None:
    low = prepared_backup(1).prepared[Seq(2)]
    vcs = (vc_msg(1, 3, (low,)), vc_msg(2, 3), vc_msg(3, 3))
    plan = plan_new_view(vcs, Seq(0))
    assert plan.stable is None
    assert [(s, p) for s, _, p in plan.entries] == [(1, None), (2, b"tx:a")]
    assert plan_new_view(vcs[1:], Seq(0)).entries == ()


def test_replica_behind_the_view_gets_the_new_view_on_its_view_change() -> None:
    replicas = [replica(4, i) for i in range(4)]
    net = Loopback(replicas)
    net.down.add(3)
    for r in replicas[:3]:
        net.run(r.me, r.changer.start(View(1)))
    assert replicas[1].active and replicas[1].view == 1
    net.down.clear()
    net.run(3, replicas[3].changer.start(View(1)))
    assert replicas[3].active and replicas[3].view == 1


def test_commit_from_old_view_still_counts() -> None:
    r = replica(4, 1)
    d = batch_digest(b"tx:a")
    r.on_message(pre_prepare(4, 0, 1, b"tx:a"))
    r.changer.start(View(1))
    out = []
    for sender in (0, 2, 3):
        out += delivered(r.on_message(signed(4, sender, Commit(View(0), Seq(1), d))))
    assert [x.seq for x in out] == [1]


def test_backups_do_not_accept_pre_prepares_while_changing_view() -> None:
    r = replica(4, 2)
    r.propose(b"tx:p")
    effects = r.changer.start(View(1))
    assert any(isinstance(e, CancelTimer) and e.timer.kind is TimerKind.PROGRESS for e in effects)
    assert bodies(r.on_message(pre_prepare(4, 1, 1, b"tx:a")), Prepare) == []
    assert (
        r.on_message(signed(4, 0, PrePrepare(View(0), Seq(1), batch_digest(b"tx:b"), b"tx:b")))
        == []
    )


def test_view_change_envelope_checks() -> None:
    from consensus.base import Epoch, ReplicaId

    r = replica(4, 3)
    good = vc_msg(1, 1)
    with pytest.raises(InvalidMessage):  # bad signature
        r.on_message(Signed(good.chain_id, good.epoch, good.sender, good.body, b"\x00" * 64))
    nv_bad_epoch = signed(
        4, 1, NewView(View(1), (signed(4, 0, good.body, epoch=1), vc_msg(2, 1), vc_msg(3, 1)), ())
    )
    r.changer.start(View(1))
    with pytest.raises(InvalidMessage):  # a view-change of another epoch inside
        r.on_message(nv_bad_epoch)
    outsider = Signed(good.chain_id, Epoch(0), ReplicaId(7), good.body, good.signature)
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, NewView(View(1), (vc_msg(0, 1), outsider, vc_msg(2, 1)), ())))
    forged = Signed(good.chain_id, good.epoch, ReplicaId(0), good.body, b"\x00" * 64)
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, NewView(View(1), (forged, vc_msg(2, 1), vc_msg(3, 1)), ())))


def test_prepared_certificate_outside_the_watermarks_is_rejected() -> None:
    r = replica(4, 3, window=8)
    far = prepared_backup(1)  # prepared at seq 2, view 0
    cert = far.prepared[Seq(2)]
    twice = (cert, cert)  # unsorted / repeated seq
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, ViewChange(View(1), None, twice)))


def test_new_view_with_a_view_change_for_another_view_is_rejected() -> None:
    r = replica(4, 2)
    r.changer.start(View(1))
    vcs = (vc_msg(0, 1), vc_msg(2, 2), vc_msg(3, 1))
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, NewView(View(1), vcs, ())))


def test_new_view_pre_prepare_must_be_signed_by_the_new_primary() -> None:
    cert = prepared_backup(1).prepared[Seq(2)]
    vcs = (vc_msg(0, 1, (cert,)), vc_msg(2, 1), vc_msg(3, 1))
    plan = plan_new_view(vcs, Seq(0))
    pps = tuple(
        signed(4, 3, PrePrepare(View(1), s, d, p)) for s, d, p in plan.entries
    )  # right contents, wrong signer
    r = replica(4, 2)
    r.changer.start(View(1))
    with pytest.raises(InvalidMessage):
        r.on_message(signed(4, 1, NewView(View(1), vcs, pps)))
    good = tuple(signed(4, 1, PrePrepare(View(1), s, d, p)) for s, d, p in plan.entries)
    r.on_message(signed(4, 1, NewView(View(1), vcs, good)))
    assert r.active and r.view == 1 and (View(1), Seq(2)) in r.pre_prepares


def test_unsorted_view_changes_in_a_new_view_do_not_decode() -> None:
    from consensus.wire import decode_message

    nv = signed(4, 1, NewView(View(1), (vc_msg(2, 1), vc_msg(0, 1)), ()))
    with pytest.raises(InvalidMessage):
        decode_message(nv.encode())
