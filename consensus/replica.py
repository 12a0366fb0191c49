"""One PBFT replica as a pure state machine (Castro-Liskov, OSDI 1999; TOCS 2002).

Theory of operation.
- Normal case (TOCS 4.2). The primary of view v (v mod n) assigns the next sequence
  number n inside the watermarks (h, h + L] to a batch and broadcasts PRE-PREPARE
  (v, n, d, batch). A backup accepts it if it is in view v, has accepted no other
  pre-prepare for (v, n), never signed another digest for (v, n) and the application
  accepts the batch; it then broadcasts PREPARE(v, n, d). With the pre-prepare and 2f
  matching prepares from backups a replica is *prepared* and broadcasts COMMIT(v, n, d).
  2f+1 matching commits form a commit certificate: the batch is committed at n and is
  delivered once every lower n is delivered. Several n may be in flight at once.
- Checkpoints (4.3). After executing n with n mod K = 0 the application reports its
  state root and the replica broadcasts CHECKPOINT(n, root). 2f+1 matching ones make a
  stable checkpoint: the low watermark h moves to n and the log below is discarded. A
  stable checkpoint above what this replica has delivered triggers a state transfer.
- View change (4.4, 4.5.2): see `consensus.view_change`. The request timer runs while
  a batch is outstanding; on expiry the replica moves to v+1. Having sent VIEW-CHANGE
  for w it starts the new-view timer only once it holds 2f+1 view-changes for w; on
  expiry it moves to w+1 with a timeout doubled per consecutive failed view (capped).
  f+1 view-changes for views above its own make it join the smallest of them.
- Retransmission (the BFT library's status messages, TOCS 5): while something is
  outstanding a replica periodically broadcasts STATUS; peers answer with commit
  certificates, their stable checkpoint, and their view-change or new-view messages.
- Crash recovery: every vote is persisted (a `Persist` effect placed before the
  `Broadcast`) and `Replica.restore` rebuilds the (view, n) -> digest map from the log,
  so a restarted replica never signs two digests for one (view, n).

Deviations from the paper are listed in docs/consensus.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from consensus import recovery
from consensus.base import NULL_DIGEST, Digest, ReplicaId, Seq, View, batch_digest
from consensus.catchup import answer_status, on_checkpoint_proof, on_commit_proof
from consensus.certificates import (
    CheckpointCertificate,
    CheckpointProof,
    CommitCertificate,
    CommitProof,
    PreparedCertificate,
    sorted_votes,
)
from consensus.config import ReplicaConfig, ValidatorSet
from consensus.crypto import Signer, Verifier
from consensus.effects import (
    Broadcast,
    CancelTimer,
    Deliver,
    Effect,
    Persist,
    RequestStateTransfer,
    Send,
    SetTimer,
    TimerId,
    TimerKind,
)
from consensus.epochs import EpochManager
from consensus.errors import ConfigError, InvalidMessage
from consensus.messages import (
    Body,
    Checkpoint,
    Commit,
    MsgKind,
    Prepare,
    PrePrepare,
    Signed,
    Status,
)
from consensus.records import PreparedRecord, Record, SentRecord, StableRecord
from consensus.view_change import ViewChange
from consensus.view_changer import ViewChanger
from consensus.wire import decode_message

Validate = Callable[[bytes], bool]
VIEW_LOOKAHEAD = 16  # votes for views this far ahead are kept for when we get there
# Votes a restarted replica must not contradict; STATUS and proofs are not persisted.
PERSISTED_KINDS = frozenset(MsgKind) - {
    MsgKind.STATUS,
    MsgKind.COMMIT_PROOF,
    MsgKind.CHECKPOINT_PROOF,
}
Tally = dict[tuple[View, Digest], dict[ReplicaId, bytes]]


class Replica:
    """A PBFT replica: feed it inputs, carry out the effects it returns."""

    def __init__(
        self, config: ReplicaConfig, signer: Signer, verifier: Verifier, validate: Validate
    ) -> None:
        if signer.public_key != config.validators.key(config.index):
            raise ConfigError("the signer's key is not this replica's validator key")
        self._signer = signer
        self.verifier = verifier
        self._validate = validate
        self.pool: dict[Digest, bytes] = {}
        self._timers: dict[TimerKind, TimerId] = {}
        self._generation = 0
        self.epochs = EpochManager(self)
        self.reset(config)

    def reset(self, config: ReplicaConfig) -> None:
        """Start protocol state afresh for `config` (at construction and at each epoch);
        the pool of pending batches and the timer generations carry over."""
        self.config = config
        self.validators = config.validators
        self.me = config.index
        self.view = View(0)
        self.active = True
        self.low = config.start_seq  # h: the last stable checkpoint
        self.stable: CheckpointCertificate | None = None
        self.delivered = config.start_seq
        self.awaiting_transfer: CheckpointCertificate | None = None
        self.next_seq = Seq(config.start_seq + 1)
        self.failed_views = 0
        # The message log; everything keyed by seq is dropped at a stable checkpoint.
        self.pre_prepares: dict[tuple[View, Seq], Signed[PrePrepare]] = {}
        self.payloads: dict[Seq, dict[Digest, bytes | None]] = {}
        self.prepares: dict[Seq, Tally] = {}
        self.commits: dict[Seq, Tally] = {}
        self.voted: dict[tuple[Seq, View, ReplicaId, MsgKind], Digest] = {}
        self.own_votes: dict[tuple[View, Seq], Digest] = {}
        self.commit_sent: set[tuple[View, Seq]] = set()
        self.prepared: dict[Seq, PreparedCertificate] = {}
        self.committed: dict[Seq, tuple[CommitCertificate, bytes | None]] = {}
        self.checkpoints: dict[Seq, dict[Digest, dict[ReplicaId, bytes]]] = {}
        self.own_checkpoints: dict[Seq, Signed[Checkpoint]] = {}  # resent on STATUS
        self.deferred: dict[tuple[View, Seq], Signed[PrePrepare]] = {}
        self.assigned: set[Digest] = set()
        self.recent: set[Digest] = set()
        self.changer = ViewChanger(self)

    # ------------------------------------------------------------------ construction

    @classmethod
    def restore(
        cls,
        config: ReplicaConfig,
        signer: Signer,
        verifier: Verifier,
        validate: Validate,
        records: list[Record],
        executed: Seq,
        blocks: Sequence[tuple[CommitCertificate, bytes | None]] = (),
    ) -> Replica:
        """Rebuild a replica from its write-ahead log after a crash; call `start()` next.

        `executed` is the last seq the application executed durably; `blocks` are the
        committed blocks it stored with their certificates (at least those above the
        last stable checkpoint), which the replica serves to peers that lack them.
        """
        replica = cls(config, signer, verifier, validate)
        recovery.replay(replica, records, executed, blocks)
        return replica

    def start(self) -> list[Effect]:
        """Effects to run when the replica (re)starts: timers and a catch-up request."""
        effects: list[Effect] = []
        if self.stable is not None and self.delivered < self.stable.seq:
            self.awaiting_transfer = self.stable
            effects.append(RequestStateTransfer(self.stable))
        effects += self.refresh_timers(progress=False)
        if not self.active:
            effects += self._broadcast_status()
        return effects

    # ------------------------------------------------------------------ inputs

    def on_message(self, message: bytes | Signed[Any]) -> list[Effect]:
        """Handle one message from a peer. Raises InvalidMessage for forged or malformed
        input (the peer's fault); returns [] for valid but stale or useless messages."""
        msg = message if isinstance(message, Signed) else decode_message(bytes(message))
        if msg.chain_id != self.config.chain_id:
            raise InvalidMessage("message for another chain")
        if self.epochs.retired:
            return []
        if msg.epoch != self.validators.epoch:
            return self.epochs.other_epoch(msg)  # replays are dropped, never counted
        if not self.validators.contains(msg.sender):
            raise InvalidMessage(f"sender {msg.sender} is not a validator")
        if msg.sender == self.me:
            return []
        key = self.validators.key(msg.sender)
        if not self.verifier.verify(key, msg.signing_bytes(), msg.signature):
            raise InvalidMessage(f"bad signature on a message from replica {msg.sender}")
        return self.dispatch(msg)

    def on_timer(self, timer: TimerId) -> list[Effect]:
        if self._timers.get(timer.kind) != timer:
            return []  # cancelled or superseded
        del self._timers[timer.kind]
        if timer.kind is TimerKind.STATUS:
            return self._broadcast_status() + self.refresh_timers(progress=False)
        return self.changer.start(View(self.view + 1))  # request or new-view timer

    def propose(self, payload: bytes) -> list[Effect]:
        """Offer a batch. The primary orders it; a backup holds it and, if it is not
        committed in time, suspects the primary (the client request of TOCS 4.4)."""
        d = batch_digest(payload)
        if d in self.pool or d in self.recent or len(self.pool) >= self.config.max_pending:
            return []
        self.pool[d] = payload
        return self.propose_pending() + self.refresh_timers(progress=False)

    def withdraw(self, d: Digest) -> list[Effect]:
        """Forget a proposed batch (for example a block that became stale), so that its
        absence no longer runs the request timer."""
        if self.pool.pop(d, None) is None:
            return []
        return self.refresh_timers(progress=False)

    def on_executed(
        self, seq: Seq, state_root: Digest, next_validators: ValidatorSet | None = None
    ) -> list[Effect]:
        """The application executed `seq` (in order) and reached `state_root`. If the
        batch at `seq` changed the validator set, pass the new set (epoch + 1)."""
        if seq > self.delivered:
            raise InvalidMessage("on_executed for a seq that was not delivered")
        effects: list[Effect] = []
        if next_validators is not None:
            effects += self.schedule_validators(seq, next_validators)
        if seq % self.config.checkpoint_interval != 0 or seq <= self.low:
            return effects
        if any(self.me in votes for votes in self.checkpoints.get(seq, {}).values()):
            return effects
        return effects + self.cast(Checkpoint(seq, state_root))

    def schedule_validators(self, executed_at: Seq, validators: ValidatorSet) -> list[Effect]:
        """The batch at `executed_at` installed `validators` for the next epoch; it takes
        over after the checkpoint `epochs.boundary_for(executed_at)`. Idempotent: call it
        again after a restart if the application state holds a pending change."""
        return self.epochs.schedule(executed_at, validators)

    def on_state_transferred(self, seq: Seq) -> list[Effect]:
        """The application now holds the state certified at `seq` (a stable checkpoint)."""
        pending = self.awaiting_transfer
        if pending is None or seq < pending.seq:
            return []
        self.awaiting_transfer = None
        self.delivered = max(self.delivered, seq)
        effects = self.epochs.maybe_switch()
        return (
            effects
            + self.try_deliver()
            + self.propose_pending()
            + self.refresh_timers(progress=True)
        )

    # ------------------------------------------------------------------ queries

    @property
    def primary(self) -> ReplicaId:
        return self.validators.primary(self.view)

    @property
    def is_primary(self) -> bool:
        return self.primary == self.me

    def in_window(self, seq: int) -> bool:
        """Between the watermarks h and H = h + L: messages here are acted on. Nothing
        beyond a scheduled epoch boundary is ordered by this epoch's validators."""
        return self.low < seq <= min(self.low + self.config.window, self.epochs.last_seq())

    def in_reach(self, seq: int) -> bool:
        """Up to one window above H: kept (bounded) until the low watermark catches up,
        because a replica whose checkpoint is not yet stable must not lose them."""
        return self.low < seq <= min(self.low + 2 * self.config.window, self.epochs.last_seq())

    def timeout(self) -> int:
        shift = min(self.failed_views, 30)
        return min(self.config.max_timeout, self.config.base_timeout << shift)

    # ------------------------------------------------------------------ sending

    def sign(self, body: Body) -> Signed[Any]:
        unsigned = Signed(self.config.chain_id, self.validators.epoch, self.me, body, b"")
        return Signed(
            unsigned.chain_id,
            unsigned.epoch,
            unsigned.sender,
            body,
            self._signer.sign(unsigned.signing_bytes()),
        )

    @property
    def public_key(self) -> bytes:
        return self._signer.public_key

    def sign_raw(self, unsigned: Signed[Any]) -> bytes:
        return self._signer.sign(unsigned.signing_bytes())

    def cast(self, body: Body) -> list[Effect]:
        """Sign, persist if it is a vote, broadcast, and process our own copy."""
        msg = self.sign(body)
        effects: list[Effect] = []
        if body.KIND in PERSISTED_KINDS:
            effects.append(Persist(SentRecord(msg)))
        if self.validators.n > 1:
            effects.append(Broadcast(msg, msg.encode()))
        return effects + self.dispatch(msg)

    def send(self, to: ReplicaId, msg: Signed[Any]) -> Effect:
        return Send(to, msg, msg.encode())

    def _broadcast_status(self) -> list[Effect]:
        if self.validators.n == 1:
            return []
        msg = self.sign(Status(self.view, self.active, self.low, self.delivered))
        return [Broadcast(msg, msg.encode())]

    # ------------------------------------------------------------------ dispatch

    def dispatch(self, msg: Signed[Any]) -> list[Effect]:
        """Handle an authenticated message (ours or a peer's)."""
        body = msg.body
        if isinstance(body, PrePrepare):
            return self._on_pre_prepare(msg)
        if isinstance(body, Prepare):
            return self._on_prepare(msg)
        if isinstance(body, Commit):
            return self._on_commit(msg)
        if isinstance(body, Checkpoint):
            return self._on_checkpoint(msg)
        if isinstance(body, ViewChange):
            return self.changer.on_view_change(msg)
        if isinstance(body, Status):
            return answer_status(self, msg.sender, body)
        if isinstance(body, CommitProof):
            return on_commit_proof(self, body)
        if isinstance(body, CheckpointProof):
            return on_checkpoint_proof(self, body)
        return self.changer.on_new_view(msg)

    # ------------------------------------------------------------------ normal case

    def _on_pre_prepare(self, msg: Signed[PrePrepare]) -> list[Effect]:
        pp = msg.body
        if msg.sender != self.validators.primary(pp.view):
            raise InvalidMessage("pre-prepare from a replica that is not the view's primary")
        if batch_digest(pp.payload) != pp.digest:
            raise InvalidMessage("pre-prepare digest does not match its batch")
        if not self.in_reach(pp.seq) or not self.view <= pp.view <= self.view + VIEW_LOOKAHEAD:
            return []
        if not self.in_window(pp.seq):
            self.deferred.setdefault((pp.view, pp.seq), msg)  # above H: until the window moves
            return []
        self.remember_payload(pp.seq, pp.digest, pp.payload)
        effects = self.check_committed(pp.seq)
        if pp.view != self.view or not self.active:
            # Sent in a view we have not entered yet (it overtook the new-view): keep it.
            self.deferred.setdefault((pp.view, pp.seq), msg)
            return effects
        return effects + self.accept_pre_prepare(msg, validate=True)

    def remember_payload(self, seq: Seq, d: Digest, payload: bytes | None) -> None:
        known = self.payloads.setdefault(seq, {})
        if d in known or len(known) > self.validators.n:
            return
        known[d] = payload

    def accept_pre_prepare(self, msg: Signed[PrePrepare], *, validate: bool) -> list[Effect]:
        pp = msg.body
        key = (pp.view, pp.seq)
        if key in self.pre_prepares or self.own_votes.get(key, pp.digest) != pp.digest:
            return []  # equivocation, or it contradicts what we signed: ignore
        if validate and pp.payload is not None and msg.sender != self.me:
            if not self._validate(pp.payload):
                return []
        self.pre_prepares[key] = msg
        self.remember_payload(pp.seq, pp.digest, pp.payload)
        self.assigned.add(pp.digest)
        self.own_votes[key] = pp.digest
        if msg.sender != self.me:
            effects = self.cast(Prepare(pp.view, pp.seq, pp.digest))
        else:
            effects = self.check_prepared(pp.view, pp.seq)
        return effects + self.refresh_timers(progress=False)

    def _tally(self, store: dict[Seq, Tally], msg: Signed[Prepare] | Signed[Commit]) -> bool:
        """Record one signed vote; False if the sender already voted in (view, seq)."""
        body = msg.body
        key = (body.seq, body.view, msg.sender, body.KIND)
        if key in self.voted:
            return False
        self.voted[key] = body.digest
        tally = store.setdefault(body.seq, {}).setdefault((body.view, body.digest), {})
        tally[msg.sender] = msg.signature
        return True

    def _view_in_range(self, view: View) -> bool:
        return self.view - VIEW_LOOKAHEAD <= view <= self.view + VIEW_LOOKAHEAD

    def _on_prepare(self, msg: Signed[Prepare]) -> list[Effect]:
        body = msg.body
        if msg.sender == self.validators.primary(body.view):
            raise InvalidMessage("the primary does not send prepares")
        if not self.in_reach(body.seq) or not self._view_in_range(body.view):
            return []
        if not self._tally(self.prepares, msg):
            return []
        return self.check_prepared(body.view, body.seq)

    def check_prepared(self, view: View, seq: Seq) -> list[Effect]:
        if (view, seq) in self.commit_sent or not self.active or view != self.view:
            return []
        pp = self.pre_prepares.get((view, seq))
        if pp is None:
            return []
        votes = self.prepares.get(seq, {}).get((view, pp.body.digest), {})
        if len(votes) < self.validators.prepare_quorum:
            return []
        cert = PreparedCertificate(pp, sorted_votes(votes))
        self.commit_sent.add((view, seq))
        held = self.prepared.get(seq)
        if held is None or held.view < view:
            self.prepared[seq] = cert
        effects: list[Effect] = [Persist(PreparedRecord(cert))]
        return effects + self.cast(Commit(view, seq, pp.body.digest))

    def _on_commit(self, msg: Signed[Commit]) -> list[Effect]:
        body = msg.body
        if not self.in_reach(body.seq) or not self._view_in_range(body.view):
            return []
        if not self._tally(self.commits, msg):
            return []
        return self.check_committed(body.seq)

    def check_committed(self, seq: Seq) -> list[Effect]:
        if seq in self.committed or seq <= self.delivered or not self.in_window(seq):
            return []
        known = self.payloads.get(seq, {})
        for (view, d), votes in sorted(self.commits.get(seq, {}).items()):
            if len(votes) < self.validators.quorum or (d not in known and d != NULL_DIGEST):
                continue
            cert = CommitCertificate(
                self.config.chain_id, self.validators.epoch, view, seq, d, sorted_votes(votes)
            )
            self.committed[seq] = (cert, known.get(d))
            return self.try_deliver()
        return []

    def try_deliver(self) -> list[Effect]:
        effects: list[Effect] = []
        awaited = False
        while self.awaiting_transfer is None:
            entry = self.committed.get(Seq(self.delivered + 1))
            if entry is None:
                break
            cert, payload = entry
            self.delivered = cert.seq
            awaited = self.pool.pop(cert.digest, None) is not None or awaited
            self.recent.add(cert.digest)
            if self.active:
                self.failed_views = 0
            effects.append(Deliver(cert.seq, cert.digest, payload, cert))
        if effects:
            # The request timer restarts only when a batch this replica waits for is
            # delivered (TOCS 4.4), so a primary that commits only other (or null)
            # batches cannot censor the pool by keeping the timer from expiring.
            effects += self.refresh_timers(progress=awaited or not self.pool)
        return effects

    def propose_pending(self) -> list[Effect]:
        """As primary, pre-prepare pooled batches while the window has room."""
        if not self.active or not self.is_primary or self.awaiting_transfer is not None:
            return []
        effects: list[Effect] = []
        for d, payload in list(self.pool.items()):
            if d in self.assigned:
                continue
            seq = self.next_seq
            if not self.in_window(seq):
                break
            self.next_seq = Seq(seq + 1)
            effects += self.cast(PrePrepare(self.view, seq, d, payload))
        while self.epochs.pending is not None and self.in_window(self.next_seq):
            # Fill up to the epoch boundary with null batches so the switch happens
            # even when no batches are pending.
            seq = self.next_seq
            self.next_seq = Seq(seq + 1)
            effects += self.cast(PrePrepare(self.view, seq, NULL_DIGEST, None))
        return effects

    # ------------------------------------------------------------------ checkpoints

    def _on_checkpoint(self, msg: Signed[Checkpoint]) -> list[Effect]:
        body, sender = msg.body, msg.sender
        if sender == self.me:
            self.own_checkpoints[body.seq] = msg
        if body.seq % self.config.checkpoint_interval != 0 or not self.in_reach(body.seq):
            return []
        by_root = self.checkpoints.setdefault(body.seq, {})
        if any(sender in votes for votes in by_root.values()):
            return []
        votes = by_root.setdefault(body.state_root, {})
        votes[sender] = msg.signature
        if len(votes) < self.validators.quorum:
            return []
        return self.make_stable(
            CheckpointCertificate(
                self.config.chain_id,
                self.validators.epoch,
                body.seq,
                body.state_root,
                sorted_votes(votes),
            )
        )

    def make_stable(self, cert: CheckpointCertificate) -> list[Effect]:
        """Adopt a stable checkpoint: move the low watermark and garbage-collect."""
        if cert.seq <= self.low:
            return []
        self.adopt_stable(cert)
        effects: list[Effect] = [Persist(StableRecord(cert))]
        if self.delivered < cert.seq:
            self.awaiting_transfer = cert
            effects.append(RequestStateTransfer(cert))
        if self.next_seq <= self.low:
            self.next_seq = Seq(self.low + 1)
        switched = self.epochs.maybe_switch()
        if switched:
            return effects + switched
        return effects + self.resume_deferred() + self.propose_pending()

    def resume_deferred(self) -> list[Effect]:
        """Act on what was kept for later (above the old high watermark, or for a view
        not yet entered) and can be handled now."""
        effects: list[Effect] = []
        for key in sorted(self.deferred):
            msg = self.deferred.pop(key)
            if key[1] > self.low:
                effects += self.dispatch(msg)
        for seq in sorted(self.commits):
            effects += self.check_committed(seq)
        for view, seq in sorted(self.pre_prepares):
            effects += self.check_prepared(view, seq)
        return effects

    def adopt_stable(self, cert: CheckpointCertificate) -> None:
        self.low = cert.seq
        self.stable = cert
        self._collect_garbage()

    def _collect_garbage(self) -> None:
        low = self.low
        for table in (self.payloads, self.prepares, self.commits, self.prepared, self.committed):
            for seq in [s for s in table if s <= low]:
                del table[seq]
        for table2 in (self.checkpoints, self.own_checkpoints):
            for seq in [s for s in table2 if s <= low]:
                del table2[seq]
        for key in [k for k in self.pre_prepares if k[1] <= low]:
            del self.pre_prepares[key]
        for key2 in [k for k in self.own_votes if k[1] <= low]:
            del self.own_votes[key2]
        self.commit_sent = {k for k in self.commit_sent if k[1] > low}
        self.voted = {k: v for k, v in self.voted.items() if k[0] > low}
        self.recent = {cert.digest for cert, _ in self.committed.values()}

    # ------------------------------------------------------------------ timers

    def outstanding(self) -> bool:
        """Is there work this replica expects to see committed?"""
        if self.pool:
            return True
        return any(seq > self.delivered for _, seq in self.pre_prepares)

    def refresh_timers(self, *, progress: bool) -> list[Effect]:
        effects: list[Effect] = []
        waiting = self.outstanding()
        if self.active and waiting:
            if progress or TimerKind.PROGRESS not in self._timers:
                effects.append(self.set_timer(TimerKind.PROGRESS, self.timeout()))
        elif TimerKind.PROGRESS in self._timers:
            effects.append(self.cancel_timer(TimerKind.PROGRESS))
        needs_status = waiting or not self.active or self.awaiting_transfer is not None
        if needs_status and self.validators.n > 1:
            if TimerKind.STATUS not in self._timers:
                effects.append(self.set_timer(TimerKind.STATUS, self.config.status_interval))
        elif TimerKind.STATUS in self._timers:
            effects.append(self.cancel_timer(TimerKind.STATUS))
        return effects

    def set_timer(self, kind: TimerKind, duration: int) -> Effect:
        self._generation += 1
        timer = TimerId(kind, self._generation)
        self._timers[kind] = timer
        return SetTimer(timer, duration)

    def cancel_timer(self, kind: TimerKind) -> Effect:
        return CancelTimer(self._timers.pop(kind))

    def running_timers(self) -> list[TimerKind]:
        return list(self._timers)

    def timer_running(self, kind: TimerKind) -> bool:
        return kind in self._timers
