"""The view-change half of a replica (TOCS 4.4 and 4.5.2), composed into `Replica`.

It owns the view-change messages received, the new-view of the current view and the
rules for when to move: the request and new-view timers (in `Replica.on_timer`), the
f+1 join rule, and the new primary's construction of NEW-VIEW from 2f+1 VIEW-CHANGEs.
The message formats, validation and the computation of O live in
`consensus.view_change`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consensus.base import ReplicaId, Seq, View
from consensus.effects import Effect, Persist, TimerKind
from consensus.messages import PrePrepare, Signed
from consensus.records import NewViewRecord
from consensus.view_change import (
    NewView,
    NewViewPlan,
    ViewChange,
    plan_new_view,
    verify_new_view,
    verify_view_change,
)

if TYPE_CHECKING:
    from consensus.replica import Replica


class ViewChanger:
    __slots__ = ("new_view_msg", "own_vc", "r", "sent_for", "timer_for", "vcs")

    def __init__(self, replica: Replica) -> None:
        self.r = replica
        self.vcs: dict[ReplicaId, Signed[ViewChange]] = {}  # the latest from each sender
        self.new_view_msg: Signed[NewView] | None = None  # how we entered the current view
        self.own_vc: Signed[ViewChange] | None = None
        self.sent_for = View(-1)  # last view we sent a new-view for, as its primary
        self.timer_for = View(-1)  # last view whose new-view timer we started

    def start(self, new_view: View) -> list[Effect]:
        """Stop accepting messages of the current view and ask to move to `new_view`."""
        r = self.r
        if new_view <= r.view:
            return []
        r.view = new_view
        r.active = False
        r.failed_views += 1
        r.assigned = set()
        self.new_view_msg = None
        effects: list[Effect] = []
        for kind in (TimerKind.PROGRESS, TimerKind.NEW_VIEW):
            if r.timer_running(kind):
                effects.append(r.cancel_timer(kind))
        prepared = tuple(r.prepared[seq] for seq in sorted(r.prepared) if seq > r.low)
        effects += r.cast(ViewChange(new_view, r.stable, prepared))
        return effects + r.refresh_timers(progress=False)

    def on_view_change(self, msg: Signed[ViewChange]) -> list[Effect]:
        r = self.r
        if msg.sender != r.me:
            verify_view_change(
                msg,
                r.validators,
                r.config.chain_id,
                r.verifier,
                start_seq=r.config.start_seq,
                window=r.config.window,
            )
        target = msg.body.new_view
        if target < r.view:
            return []
        if target == r.view and r.active:
            if self.new_view_msg is not None:
                return [r.send(msg.sender, self.new_view_msg)]  # it missed the new view
            return []
        previous = self.vcs.get(msg.sender)
        if previous is not None and previous.body.new_view >= target:
            return []
        self.vcs[msg.sender] = msg
        if msg.sender == r.me:
            self.own_vc = msg
        return self._maybe_join() + self._maybe_new_view()

    def _maybe_join(self) -> list[Effect]:
        """f+1 view-changes for higher views: one is from a correct replica, so join."""
        r = self.r
        higher = sorted(vc.body.new_view for vc in self.vcs.values() if vc.body.new_view > r.view)
        if len(higher) < r.validators.weak_quorum:
            return []
        return self.start(higher[0])

    def _maybe_new_view(self) -> list[Effect]:
        r = self.r
        target = r.view
        if r.active:
            return []
        moving = sum(1 for vc in self.vcs.values() if vc.body.new_view >= target)
        if moving < r.validators.quorum:
            return []
        # 2f+1 replicas have left the old view (some may already be past `target`, their
        # view-changes for it lost): now a new-view is due, so start the timer (4.5.2).
        effects: list[Effect] = []
        if self.timer_for != target:
            self.timer_for = target
            effects.append(r.set_timer(TimerKind.NEW_VIEW, r.timeout()))
        senders = sorted(s for s, vc in self.vcs.items() if vc.body.new_view == target)
        if len(senders) < r.validators.quorum:
            return effects
        if r.validators.primary(target) == r.me and self.sent_for != target:
            self.sent_for = target
            chosen = tuple(self.vcs[s] for s in senders[: r.validators.quorum])
            plan = plan_new_view(chosen, r.config.start_seq)
            pps = tuple(r.sign(PrePrepare(target, n, d, p)) for n, d, p in plan.entries)
            effects += r.cast(NewView(target, chosen, pps))
        return effects

    def on_new_view(self, msg: Signed[NewView]) -> list[Effect]:
        r = self.r
        target = msg.body.view
        if target < r.view or (target == r.view and r.active):
            return []
        if msg.sender == r.me:
            plan = plan_new_view(msg.body.view_changes, r.config.start_seq)
        else:
            plan = verify_new_view(
                msg,
                r.validators,
                r.config.chain_id,
                r.verifier,
                start_seq=r.config.start_seq,
                window=r.config.window,
            )
        return self.enter(msg, plan)

    def enter(self, msg: Signed[NewView], plan: NewViewPlan) -> list[Effect]:
        """Install the new view: adopt its checkpoint and pre-prepares, then resume."""
        r = self.r
        r.view = msg.body.view
        r.active = True
        self.new_view_msg = msg
        effects: list[Effect] = []
        if msg.sender != r.me:
            effects.append(Persist(NewViewRecord(msg)))
        if r.timer_running(TimerKind.NEW_VIEW):
            effects.append(r.cancel_timer(TimerKind.NEW_VIEW))
        last = max([r.low] + [seq for seq, _, _ in plan.entries])
        r.next_seq = Seq(max(last, plan.stable.seq if plan.stable else 0) + 1)
        r.assigned = {d for _, d, _ in plan.entries}
        if plan.stable is not None:
            effects += r.make_stable(plan.stable)
        for pp in msg.body.pre_prepares:
            if pp.body.seq <= r.low:
                continue
            r.remember_payload(pp.body.seq, pp.body.digest, pp.body.payload)
            effects += r.check_committed(pp.body.seq)
            effects += r.accept_pre_prepare(pp, validate=False)
        effects += r.resume_deferred()  # pre-prepares of this view that came early
        return effects + r.propose_pending() + r.refresh_timers(progress=False)
