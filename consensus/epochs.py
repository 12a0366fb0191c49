"""Validator-set changes at checkpoints (reconfiguration; not in the 1999 paper).

Theory of operation. The application executes a batch at seq s that installs a new
validator set (epoch e+1) and reports it through `Replica.on_executed`. Every correct
replica executes the same batches, so all learn of the change at the same s. The old
set orders every seq up to the boundary B = roundup(s, K) + L (K the checkpoint
interval, L the window); the new set orders from B + 1 on.

Why B is safe: an old-epoch replica prepares only inside its watermarks (h, h + L].
One that has not executed s yet has h <= s unless a stable checkpoint above s exists,
and then f+1 correct replicas signed it after executing s, so they know B and refuse to
prepare past it; with at most f faulty replicas no seq above B can gather the 2f+1
needed to commit in epoch e. Every seq up to B is ordered by epoch e, every seq above
by e+1: there is no seq that neither set may order and none that both may.

Why there is no gap without a quorum: the old set keeps running until checkpoint B is
stable (2f+1 old-set signatures certify the state at B, which includes the new set);
the primary fills the remaining seqs up to B with null batches so that B is reached
even when nothing is proposed. A replica switches when B is stable *and* it has
executed up to B (or received that state), then starts view 0 of epoch e+1 with the
new set. Messages of epoch e+1 that arrive earlier are buffered (bounded) and replayed
at the switch. A replica still in epoch e that asks (STATUS) gets the final stable
checkpoint of epoch e from replicas already past it (they keep, and persist, the final
checkpoint of each of the last 16 epochs they left) and catches up by state transfer,
one epoch at a time.
A replica whose key is not in the new set retires: it sends nothing more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from consensus.base import ReplicaId, Seq
from consensus.certificates import CheckpointCertificate, CheckpointProof
from consensus.config import ReplicaConfig, ValidatorSet
from consensus.effects import Effect, EpochStarted, Persist, Send
from consensus.errors import InvalidMessage
from consensus.messages import Signed, Status
from consensus.records import EpochRecord

if TYPE_CHECKING:
    from consensus.replica import Replica

NO_BOUNDARY = 2**62
MAX_BUFFERED = 4096
MAX_EPOCHS_KEPT = 16  # how many epochs back a lagging replica can still be helped


class EpochManager:
    __slots__ = ("future", "pending", "previous", "r", "retired")

    def __init__(self, replica: Replica) -> None:
        self.r = replica
        self.pending: tuple[Seq, ValidatorSet] | None = None
        self.future: list[Signed[Any]] = []
        # For each epoch this replica left: its config there and the final checkpoint.
        self.previous: dict[int, tuple[ReplicaConfig, CheckpointCertificate]] = {}
        self.retired = False

    def boundary_for(self, executed_at: Seq) -> Seq:
        k = self.r.config.checkpoint_interval
        return Seq(-(-executed_at // k) * k + self.r.config.window)

    def last_seq(self) -> int:
        """The highest seq the current validator set may order."""
        return NO_BOUNDARY if self.pending is None else self.pending[0]

    def schedule(self, executed_at: Seq, validators: ValidatorSet) -> list[Effect]:
        r = self.r
        if self.pending is not None or validators.epoch != r.validators.epoch + 1:
            return []  # already scheduled, or not the next epoch
        if executed_at <= r.config.start_seq:
            return []
        self.pending = (self.boundary_for(executed_at), validators)
        return r.propose_pending() + self.maybe_switch()

    def maybe_switch(self) -> list[Effect]:
        r = self.r
        if self.pending is None or r.stable is None:
            return []
        boundary, validators = self.pending
        if r.low < boundary or r.delivered < boundary or r.awaiting_transfer is not None:
            return []
        self.remember(r.config, r.stable)
        self.pending = None
        effects: list[Effect] = [r.cancel_timer(kind) for kind in sorted(r.running_timers())]
        effects.append(Persist(EpochRecord(r.validators, r.me, r.stable)))
        started = EpochStarted(validators, boundary)
        key = r.public_key
        if key not in validators.keys:
            self.retired = True
            return [*effects, started]
        index = ReplicaId(validators.keys.index(key))
        r.reset(replace(r.config, validators=validators, index=index, start_seq=boundary))
        effects.append(started)
        buffered, self.future = self.future, []
        for msg in buffered:
            try:
                effects += r.on_message(msg)
            except InvalidMessage:
                continue  # a forgery that waited for its epoch
        return effects + r.propose_pending() + r.refresh_timers(progress=False)

    def remember(self, config: ReplicaConfig, final: CheckpointCertificate) -> None:
        self.previous[config.validators.epoch] = (config, final)
        for epoch in sorted(self.previous)[:-MAX_EPOCHS_KEPT]:
            del self.previous[epoch]

    def other_epoch(self, msg: Signed[Any]) -> list[Effect]:
        """A message of another epoch: buffer the next one's, help the previous one's
        laggards, drop the rest (replays of old epochs are harmless)."""
        r = self.r
        if msg.epoch == r.validators.epoch + 1:
            if len(self.future) < MAX_BUFFERED:
                self.future.append(msg)
            return []
        left = self.previous.get(msg.epoch)
        if left is None or not isinstance(msg.body, Status):
            return []
        config, final = left
        old = config.validators
        if not old.contains(msg.sender) or msg.sender == config.index:
            return []
        if not r.verifier.verify(old.key(msg.sender), msg.signing_bytes(), msg.signature):
            raise InvalidMessage("bad signature on a status from the previous epoch")
        if msg.body.stable_seq >= final.seq:
            return []
        body = CheckpointProof(final)
        unsigned = Signed(config.chain_id, old.epoch, config.index, body, b"")
        proof = Signed(
            unsigned.chain_id, unsigned.epoch, unsigned.sender, body, r.sign_raw(unsigned)
        )
        return [Send(msg.sender, proof, proof.encode())]
