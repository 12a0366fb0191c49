"""Runs this validator's PBFT replica: feeds it messages, timers and proposals, and
carries out its effects, on trio.

Theory of operation (see docs/consensus.md for the engine's contract):

- One task (`_loop`) owns the replica: every input goes through its inbox, so the
  replica is never entered twice at once and its effects are carried out in order.
- `Persist` records are gathered and written to the WAL in one synced write before the
  next `Send`/`Broadcast`/`Deliver` of the same list is carried out.
- `Deliver(seq, ...)`: the chain turns the committed payload into a block
  deterministically (`Chain.block_for`), executes and stores it in a worker thread,
  then the replica hears `on_executed(seq, state_root)`.
- Proposals: the primary proposes the next height once the previous one is executed
  (each header carries its parent's state root), when transactions are waiting or the
  empty-block interval has passed. A backup that holds transactions proposes its own
  candidate too; the engine holds it and runs the request timer, so a silent or
  censoring primary is replaced; the candidate is withdrawn whenever a block commits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import trio

from consensus import (
    Broadcast,
    CancelTimer,
    Deliver,
    Ed25519Signer,
    Ed25519Verifier,
    Effect,
    EpochStarted,
    InvalidMessage,
    Persist,
    Replica,
    ReplicaConfig,
    RequestStateTransfer,
    Send,
    SetTimer,
    TimerId,
)
from consensus.base import Digest, ReplicaId, Seq, batch_digest
from consensus.errors import ConsensusError
from consensus.records import Record
from primitives.keys import PrivateKey
from scctn_node.chain.chain import Chain, Committed
from scctn_node.config import ConsensusSection
from scctn_node.consensus_log import ConsensusLog
from scctn_node.errors import ConfigError

log = logging.getLogger("scctn.consensus")

INBOX = 10_000


class Transport(Protocol):
    async def send(self, to: int, data: bytes) -> None: ...

    async def broadcast(self, data: bytes) -> None: ...


class NoTransport:
    """A one-validator network sends nothing."""

    async def send(self, to: int, data: bytes) -> None:
        return None

    async def broadcast(self, data: bytes) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Message:
    data: bytes


@dataclass(frozen=True, slots=True)
class _Timer:
    timer: TimerId


class _Wake:
    """Something changed (transactions arrived, a block committed): consider proposing."""


class ConsensusDriver:
    def __init__(
        self,
        chain: Chain,
        key: PrivateKey,
        settings: ConsensusSection,
        transport: Transport,
        *,
        block_interval_ms: int,
        empty_block_interval_ms: int,
        on_commit: Callable[[Committed, float], Awaitable[None]],
        commit_lock: trio.Lock,
    ) -> None:
        self.chain = chain
        self.transport = transport
        self.wal = ConsensusLog(chain.store.kv)
        self.on_commit = on_commit
        self.commit_lock = commit_lock
        self.block_interval = block_interval_ms / 1000
        self.empty_block_interval = empty_block_interval_ms / 1000
        keys = [v.public_key for v in chain.validators]
        if key.public.raw not in keys:
            raise ConfigError("this node's validator key is not in the genesis validator set")
        config = ReplicaConfig(
            chain_id=chain.chain_id,
            validators=chain.validator_set,
            index=ReplicaId(keys.index(key.public.raw)),
            checkpoint_interval=settings.checkpoint_interval,
            window=settings.window,
            base_timeout=settings.base_timeout_ms,
            max_timeout=settings.max_timeout_ms,
            status_interval=settings.status_interval_ms,
            start_seq=Seq(0),
        )
        signer, verifier = Ed25519Signer(key), Ed25519Verifier()
        records = self.wal.load()
        executed = Seq(chain.height)
        self.replica = (
            Replica.restore(config, signer, verifier, chain.validate, records, executed)
            if records
            else Replica(config, signer, verifier, chain.validate)
        )
        send, self._inbox = trio.open_memory_channel[_Message | _Timer | _Wake](INBOX)
        self._send = send
        self._timers: dict[int, tuple[float, TimerId]] = {}
        self._timers_changed = trio.Event()
        self._proposed: tuple[int, bytes] | None = None  # (height, digest) of our proposal
        self._proposed_view = -1
        self._last_block_at = trio.current_time() if _in_trio() else 0.0
        self.invalid_messages = 0
        self.state_transfer_requests = 0

    # ---------------------------------------------------------------- inputs
    def deliver_message(self, data: bytes) -> bool:
        """Queue a consensus message from a peer; False when the inbox is full (dropped:
        PBFT retransmits)."""
        try:
            self._send.send_nowait(_Message(data))
        except trio.WouldBlock:
            return False
        return True

    def wake(self) -> None:
        try:
            self._send.send_nowait(_Wake())
        except trio.WouldBlock:
            pass  # the inbox is busy anyway: the loop will look again

    # ------------------------------------------------------------------ run
    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self._last_block_at = trio.current_time()
        async with trio.open_nursery() as nursery:
            await self._apply(self.replica.start())
            nursery.start_soon(self._timer_loop)
            nursery.start_soon(self._tick_loop)
            task_status.started()
            await self._loop()

    async def _loop(self) -> None:
        async for item in self._inbox:
            if isinstance(item, _Message):
                try:
                    effects = self.replica.on_message(item.data)
                except InvalidMessage as exc:
                    self.invalid_messages += 1
                    log.debug("invalid consensus message: %s", exc)
                    continue
            elif isinstance(item, _Timer):
                effects = self.replica.on_timer(item.timer)
            else:
                effects = self._maybe_propose()
            await self._apply(effects)

    async def _tick_loop(self) -> None:
        while True:
            await trio.sleep(self.block_interval)
            self.wake()

    async def _timer_loop(self) -> None:
        while True:
            if not self._timers:
                await self._timers_changed.wait()
                self._timers_changed = trio.Event()
                continue
            kind, (deadline, timer) = min(self._timers.items(), key=lambda kv: kv[1][0])
            with trio.move_on_at(deadline):
                await self._timers_changed.wait()
                self._timers_changed = trio.Event()
                continue
            if self._timers.get(kind, (0.0, None))[1] == timer:
                del self._timers[kind]
                await self._send.send(_Timer(timer))

    # ------------------------------------------------------------ proposing
    def _maybe_propose(self) -> list[Effect]:
        r = self.replica
        height = self.chain.height
        if self._proposed is not None and (
            self._proposed[0] <= height or r.view != self._proposed_view
        ):
            stale = self._proposed
            self._proposed = None
            if stale[0] > height:  # our view moved on without it
                return r.withdraw(stale[1])  # type: ignore[arg-type]
        if self._proposed is not None or not r.active or r.delivered != height:
            return []
        now = trio.current_time()
        pending = len(self.chain.mempool) > 0
        if r.is_primary:
            due = self._last_block_at + (
                self.block_interval if pending else self.empty_block_interval
            )
            if now < due:
                return []
        elif not pending:
            return []
        block = self.chain.build_block(int(time.time() * 1000))
        payload = block.encode()
        self._proposed = (block.height, batch_digest(payload))
        self._proposed_view = r.view
        return r.propose(payload)

    # -------------------------------------------------------------- effects
    async def _apply(self, effects: Sequence[Effect]) -> None:
        queue = list(effects)
        records: list[Record] = []
        i = 0
        while i < len(queue):
            effect = queue[i]
            i += 1
            if isinstance(effect, Persist):
                records.append(effect.record)
                continue
            if records:
                await trio.to_thread.run_sync(self.wal.append, records)
                records = []
            queue.extend(await self._carry_out(effect))
        if records:
            await trio.to_thread.run_sync(self.wal.append, records)

    async def _carry_out(self, effect: Effect) -> list[Effect]:
        if isinstance(effect, Send):
            await self.transport.send(int(effect.to), effect.data)
        elif isinstance(effect, Broadcast):
            await self.transport.broadcast(effect.data)
        elif isinstance(effect, Deliver):
            return await self._deliver(effect)
        elif isinstance(effect, SetTimer):
            self._timers[int(effect.timer.kind)] = (
                trio.current_time() + effect.duration / 1000,
                effect.timer,
            )
            self._timers_changed.set()
        elif isinstance(effect, CancelTimer):
            current = self._timers.get(int(effect.timer.kind))
            if current is not None and current[1] == effect.timer:
                del self._timers[int(effect.timer.kind)]
                self._timers_changed.set()
        elif isinstance(effect, RequestStateTransfer):
            self.state_transfer_requests += 1
            log.warning(
                "a stable checkpoint at %d is ahead of this node (height %d): state transfer needed",
                effect.certificate.seq,
                self.chain.height,
            )
        elif isinstance(effect, EpochStarted):
            log.info(
                "validator set epoch %d starts after %d", effect.validators.epoch, effect.start_seq
            )
        return []

    async def _deliver(self, d: Deliver) -> list[Effect]:
        if d.seq <= self.chain.height:
            return []  # executed before a restart
        if d.seq != self.chain.height + 1:
            raise ConsensusError(f"delivered {d.seq} after executing {self.chain.height}")
        started = time.perf_counter()
        block = self.chain.block_for(d.seq, d.payload)
        async with self.commit_lock:
            committed = await trio.to_thread.run_sync(
                self.chain.commit, block, d.certificate, d.payload
            )
        self.chain.finish(committed)
        self._last_block_at = trio.current_time()
        if committed.filler and d.payload is not None:
            log.warning(
                "committed payload at %d did not fit the chain: filler block written", d.seq
            )
        await self.on_commit(committed, time.perf_counter() - started)
        effects = self.replica.on_executed(d.seq, Digest(committed.state_root))
        self.wake()
        return effects


def _in_trio() -> bool:
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True
