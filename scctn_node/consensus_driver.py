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
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
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
    verify_commit_certificate,
)
from consensus.base import Digest, ReplicaId, Seq, batch_digest
from consensus.certificates import CheckpointCertificate, CommitCertificate
from consensus.errors import ConsensusError, InvalidCertificate
from consensus.records import Record
from primitives.errors import DecodeError
from primitives.keys import PrivateKey
from scctn_node.chain.block import FILLER_PROPOSER, Block
from scctn_node.chain.chain import Chain, Committed, EpochInfo
from scctn_node.config import ConsensusSection
from scctn_node.consensus_log import ConsensusLog
from scctn_node.metrics import NodeMetrics
from scctn_node.pruning import prune, pruned_below, retain_height
from scctn_node.statesync import SnapshotInvalid, check_manifest, decode_manifest, install_snapshot

log = logging.getLogger("scctn.consensus")

INBOX = 10_000
BACKLOG = 500  # pending transactions that make the primary propose without waiting
PRUNE_STEP = 100  # prune in steps of at least this many heights (compaction is not free)


class Transport(Protocol):
    async def send(self, key: bytes, data: bytes) -> None: ...


class NoTransport:
    """A one-validator network sends nothing."""

    async def send(self, key: bytes, data: bytes) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Message:
    data: bytes


@dataclass(frozen=True, slots=True)
class _Timer:
    timer: TimerId


class _Wake:
    """Something changed (transactions arrived, a block committed): consider proposing."""


@dataclass(frozen=True, slots=True)
class _Start:
    """Become a validator: `replica` takes over ordering (an epoch that includes us)."""

    replica: Replica


@dataclass(frozen=True, slots=True)
class _Synced:
    """Block sync reached `seq` (executed and stored): tell the replica."""

    seq: int


class BlockSource(Protocol):
    """Where a catching-up node gets certified payloads: `(payload | None, certificate)`
    for heights start.. (fewer when the peer has fewer), and snapshot manifests and
    chunks (`["manifest", h]`, `["chunk", h, i]`; None when no peer has it)."""

    async def fetch(
        self, start: int, count: int
    ) -> list[tuple[bytes | None, CommitCertificate]]: ...

    async def fetch_snapshot_part(self, request: list[object]) -> bytes | None: ...


class SnapshotTaker(Protocol):
    def take(self, height: int) -> None: ...

    def taken(self) -> None: ...


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
        metrics: NodeMetrics | None = None,
    ) -> None:
        self.metrics = metrics or NodeMetrics()
        self.chain = chain
        self.transport = transport
        self.wal = ConsensusLog(chain.store.kv)
        self.on_commit = on_commit
        self.commit_lock = commit_lock
        self.block_interval = block_interval_ms / 1000
        self.empty_block_interval = empty_block_interval_ms / 1000
        self.key = key
        self.settings = settings
        # None while this node is not in the validator set: it follows by block sync
        self.replica: Replica | None = self._replica_for(chain.current_epoch, self.wal.load())
        self.blocks: BlockSource | None = None
        # whether links to enough validators for a quorum are up (set by the network)
        self.quorum_linked: Callable[[], bool] = lambda: True
        self.snapshots: SnapshotTaker | None = None
        self.state_syncs = 0
        self.state_sync_min_gap = settings.state_sync_min_gap
        self.retain_blocks = 0  # set from [storage] retain_blocks
        self._pruning = False
        self._sync_target = 0
        self._syncing = False
        self._nursery: trio.Nursery | None = None
        send, self._inbox = trio.open_memory_channel[_Message | _Timer | _Wake | _Synced | _Start](
            INBOX
        )
        self._send = send
        self._timers: dict[int, tuple[float, TimerId]] = {}
        self._timers_changed = trio.Event()
        self._proposed: tuple[int, bytes] | None = None  # (height, digest) of our proposal
        self._proposed_view = -1
        self._progress = False
        self._last_block_at = trio.current_time() if _in_trio() else 0.0
        self.invalid_messages = 0
        self.view_changes = 0
        self.state_transfer_requests = 0

    def _replica_for(self, epoch: EpochInfo, records: list[Record]) -> Replica | None:
        keys = [v.public_key for v in epoch.validators]
        if self.key.public.raw not in keys:
            log.info("not a validator of epoch %d: following the chain", epoch.number)
            return None
        s = self.settings
        config = ReplicaConfig(
            chain_id=self.chain.chain_id,
            validators=epoch.consensus_set,
            index=ReplicaId(keys.index(self.key.public.raw)),
            checkpoint_interval=s.checkpoint_interval,
            window=s.window,
            base_timeout=s.base_timeout_ms,
            max_timeout=s.max_timeout_ms,
            status_interval=s.status_interval_ms,
            start_seq=Seq(epoch.start_seq),
        )
        signer, verifier = Ed25519Signer(self.key), Ed25519Verifier()
        executed = Seq(self.chain.height)
        if records:
            return Replica.restore(
                config,
                signer,
                verifier,
                self.chain.validate,
                records,
                executed,
                self._recent_blocks(s.window),
            )
        return Replica(config, signer, verifier, self.chain.validate)

    def _recent_blocks(self, count: int) -> list[tuple[CommitCertificate, bytes | None]]:
        """The last `count` committed payloads with their certificates, for a restarted
        replica to serve peers that missed them."""
        store = self.chain.store
        out = []
        for h in range(max(1, self.chain.height - count + 1), self.chain.height + 1):
            block, cert = store.block(h), store.commit_of(h)
            if block is None or cert is None:
                continue
            filler = block.header.proposer == FILLER_PROPOSER
            out.append((cert, store.original_payload(h) if filler else block.encode()))
        return out

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
            self._nursery = nursery
            if self.replica is not None:
                await self._apply(self.replica.start())
            nursery.start_soon(self._follow_loop)
            nursery.start_soon(self._timer_loop)
            nursery.start_soon(self._tick_loop)
            task_status.started()
            await self._loop()

    async def _loop(self) -> None:
        async for item in self._inbox:
            if isinstance(item, _Start):
                self.replica = item.replica
                await self._apply(item.replica.start())
                continue
            r = self.replica
            if r is None:  # following: nothing to order
                continue
            view = r.view  # before the replica may move it
            if isinstance(item, _Message):
                try:
                    effects = r.on_message(item.data)
                except InvalidMessage as exc:
                    self.invalid_messages += 1
                    self.metrics.invalid_messages.inc()
                    log.debug("invalid consensus message: %s", exc)
                    continue
            elif isinstance(item, _Timer):
                effects = r.on_timer(item.timer)
            elif isinstance(item, _Synced):
                effects = r.on_state_transferred(Seq(item.seq))
            else:
                effects = self._maybe_propose(r)
            await self._apply(effects)
            if r.view != view:
                self.view_changes += 1
                self.metrics.view_changes.inc()
                self.metrics.view.set(r.view)
                log.warning("view change: view %d -> %d", view, r.view)

    async def _follow_loop(self) -> None:
        """While not a validator: fetch and execute certified blocks from peers; start a
        replica when an epoch that includes this node begins."""
        while True:
            await trio.sleep(0.3)
            if self.replica is not None or self.blocks is None or self._syncing:
                continue
            try:
                items = await self.blocks.fetch(self.chain.height + 1, 64)
            except (OSError, ConsensusError, DecodeError):
                continue
            for payload, cert in items:
                committed = await _commit_synced(self, payload, cert)
                if committed is None:
                    break
                switched = committed.switched
                if switched is not None and self.key.public.raw in switched.keys:
                    replica = self._replica_for(switched, [])
                    if replica is not None:
                        log.info("joining the validators of epoch %d", switched.number)
                        await self._send.send(_Start(replica))
                    break

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
    def _maybe_propose(self, r: Replica) -> list[Effect]:
        """Primary: propose the next height when due. Backup: hold a candidate so the
        engine's request timer runs while this node waits for something (its pending
        transactions, or any block at all); the candidate is withdrawn only on progress,
        so a primary that censors this node's transactions, or is silent, is replaced
        even while it keeps committing other blocks."""
        height = self.chain.height
        effects: list[Effect] = []
        if self._proposed is not None:
            own_height, digest = self._proposed
            if r.view != self._proposed_view or (
                own_height <= height if r.is_primary else self._progress
            ):
                self._proposed = None
                effects += r.withdraw(Digest(digest))
        self._progress = False
        if self._proposed is not None or not r.active or r.delivered != height:
            return effects
        if not self.quorum_linked():
            return effects  # a proposal now would only be lost (and start a view change)
        now = trio.current_time()
        pending = len(self.chain.mempool) > 0
        if r.is_primary:  # with a backlog waiting, propose as soon as the last block executed
            backlog = len(self.chain.mempool) >= BACKLOG
            wait = 0.0 if backlog else self.block_interval if pending else self.empty_block_interval
            due = self._last_block_at + wait
        else:  # a backup waits: for its transactions, or for the primary's empty blocks
            due = self._last_block_at + (0.0 if pending else self.empty_block_interval * 2)
        if now < due:
            return effects
        block = self.chain.build_block(int(time.time() * 1000))
        if r.is_primary and not block.txs and now < self._last_block_at + self.empty_block_interval:
            # pending transactions that no block can take yet (a nonce still missing):
            # empty blocks at full speed would not help them
            return effects
        payload = block.encode()
        self.chain.remember(payload, block)
        self._proposed = (block.height, batch_digest(payload))
        self._proposed_view = r.view
        return effects + r.propose(payload)

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
            keys = self._epoch_keys(int(effect.message.epoch))
            if 0 <= int(effect.to) < len(keys):
                await self.transport.send(keys[int(effect.to)], effect.data)
        elif isinstance(effect, Broadcast):
            for key in self._epoch_keys(int(effect.message.epoch)):
                if key != self.key.public.raw:
                    await self.transport.send(key, effect.data)
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
            self.metrics.state_transfers.inc()
            self._sync_target = max(self._sync_target, int(effect.certificate.seq))
            if not self._syncing and self._nursery is not None and self.blocks is not None:
                self._syncing = True
                log.info(
                    "catching up from height %d to the stable checkpoint %d",
                    self.chain.height,
                    self._sync_target,
                )
                self._nursery.start_soon(self._sync, effect.certificate)
        elif isinstance(effect, EpochStarted) and self.key.public.raw not in effect.validators.keys:
            log.info("no longer a validator from %d on: following the chain", effect.start_seq)
            self.replica = None
        elif isinstance(effect, EpochStarted):
            log.info(
                "validator set epoch %d starts after %d", effect.validators.epoch, effect.start_seq
            )
        return []

    @property
    def syncing(self) -> bool:
        return self._syncing

    def _maybe_prune(self) -> None:
        """Drop old blocks in the background (one prune at a time), never at or above the
        stable checkpoint or the oldest snapshot this node may still serve."""
        if self.retain_blocks <= 0 or self._pruning or self._nursery is None:
            return
        stable = int(self.replica.low) if self.replica is not None else self.chain.height
        floor = min(stable, self.chain.height - 3 * self.settings.checkpoint_interval)
        keep_from = retain_height(self.chain.height, self.retain_blocks, floor)
        if keep_from - pruned_below(self.chain.store.kv) < min(PRUNE_STEP, self.retain_blocks):
            return
        self._pruning = True
        self._nursery.start_soon(self._prune, keep_from)

    async def _prune(self, keep_from: int) -> None:
        try:
            result = await trio.to_thread.run_sync(
                partial(prune, self.chain.store.kv, keep_from=keep_from)
            )
            log.info("pruned blocks below %d (%d keys)", result.pruned_below, result.keys_deleted)
        finally:
            self._pruning = False

    def _epoch_keys(self, number: int) -> list[bytes]:
        for epoch in self.chain.epochs:
            if epoch.number == number:
                return [v.public_key for v in epoch.validators]
        return []

    async def _sync(self, checkpoint: CheckpointCertificate) -> None:
        self.metrics.syncing.set(1)
        try:
            gap = int(checkpoint.seq) - self.chain.height
            if (
                self.chain.height == 0
                and self.blocks is not None
                and gap >= self.state_sync_min_gap
            ):
                if await state_sync(self, checkpoint):
                    self.state_syncs += 1
            await _sync_blocks(self, checkpoint.state_root)
        finally:
            self._syncing = False
            self.metrics.syncing.set(0)
        log.info("caught up at height %d", self.chain.height)
        await self._send.send(_Synced(self.chain.height))

    def _commit(self, block: Block, d: Deliver) -> Committed:
        """Worker thread: commit, and at a checkpoint height take the snapshot view before
        any later block can be written."""
        committed = self.chain.commit(block, d.certificate, d.payload)
        if self.snapshots is not None and d.seq % self.settings.checkpoint_interval == 0:
            self.snapshots.take(d.seq)
        return committed

    async def _deliver(self, d: Deliver) -> list[Effect]:
        started = time.perf_counter()
        # The height is read, and the block built, under the commit lock: block sync
        # (`_sync`) commits from another task, and may have taken this height meanwhile.
        async with self.commit_lock:
            if d.seq <= self.chain.height:
                return []  # executed before a restart, or by block sync just now
            if d.seq != self.chain.height + 1:
                raise ConsensusError(f"delivered {d.seq} after executing {self.chain.height}")
            block = self.chain.block_for(d.seq, d.payload)
            mempool = self.chain.mempool
            if not len(mempool) or any(t.hash in mempool for t in block.txs):
                self._progress = True  # a block with our transactions, or nothing to wait for
            committed = await trio.to_thread.run_sync(self._commit, block, d)
        self.chain.finish(committed)
        if d.seq % self.settings.checkpoint_interval == 0:
            if self.snapshots is not None:
                self.snapshots.taken()
            self._maybe_prune()
        self._last_block_at = trio.current_time()
        if committed.filler and d.payload is not None:
            log.warning(
                "committed payload at %d did not fit the chain: filler block written", d.seq
            )
        await self.on_commit(committed, time.perf_counter() - started)
        r = self.replica
        if r is None:
            return []
        scheduled = committed.scheduled
        effects = r.on_executed(
            d.seq,
            Digest(committed.state_root),
            None if scheduled is None else scheduled.consensus_set,
        )
        self.wake()
        return effects


async def _commit_synced(
    driver: ConsensusDriver, payload: bytes | None, cert: CommitCertificate
) -> Committed | None:
    """Check a synced certified payload for the next height and execute it; None (and a
    warning) when the peer's certificate does not hold, or when it is not for the next
    height (consensus may have delivered that height meanwhile: the check is made under
    the commit lock, so the two never commit one height twice)."""
    chain = driver.chain
    async with driver.commit_lock:
        seq = chain.height + 1
        if cert.seq != seq:
            return None
        try:
            verify_commit_certificate(cert, chain.epoch_at(seq).consensus_set, chain.chain_id)
        except InvalidCertificate as exc:
            log.warning("block sync: a peer sent a bad certificate for %d: %s", seq, exc)
            return None
        block = chain.block_for(seq, payload)
        committed = await trio.to_thread.run_sync(chain.commit, block, cert, payload)
    chain.finish(committed)
    await driver.on_commit(committed, 0.0)
    return committed


async def _sync_blocks(driver: ConsensusDriver, target_root: bytes) -> None:
    """Fetch, verify and execute certified blocks up to the sync target."""
    chain = driver.chain
    assert driver.blocks is not None
    misses = 0
    while chain.height < driver._sync_target:
        try:
            items = await driver.blocks.fetch(chain.height + 1, driver._sync_target - chain.height)
        except (OSError, ConsensusError, DecodeError) as exc:
            log.info("block sync: %s; retrying", exc)
            items = []
        if not items:
            misses += 1
            if misses == 20:
                log.error(
                    "no peer serves blocks from height %d (pruned?): stop this node, delete its "
                    "data directory and restart it to state-sync",
                    chain.height + 1,
                )
            await trio.sleep(0.5)
            continue
        misses = 0
        for payload, cert in items:
            if await _commit_synced(driver, payload, cert) is None:
                break
    if chain.height == driver._sync_target and chain.store.state_root != target_root:
        raise ConsensusError("state after block sync differs from the certified checkpoint root")


async def state_sync(driver: ConsensusDriver, checkpoint: CheckpointCertificate) -> bool:
    """Install the state certified by `checkpoint` from a peer's snapshot. False when no
    peer could provide a valid one (the caller then catches up by blocks from genesis)."""
    chain, source = driver.chain, driver.blocks
    assert source is not None
    h = int(checkpoint.seq)
    raw = await source.fetch_snapshot_part(["manifest", h])
    items = await source.fetch(h, 1)
    if raw is None or not items:
        return False
    try:
        manifest = decode_manifest(raw)
        check_manifest(manifest, chain.genesis, checkpoint.state_root)
        payload, cert = items[0]
        verify_commit_certificate(cert, chain.epoch_at(h).consensus_set, chain.chain_id)
        # the manifest's block must be the certified payload (a filler cannot be checked
        # without its parent: catch up by blocks instead)
        if cert.seq != h or payload is None or batch_digest(manifest.block) != cert.digest:
            return False
    except (SnapshotInvalid, DecodeError, InvalidCertificate) as exc:
        log.warning("state sync: unusable snapshot offer: %s", exc)
        return False

    def chunks() -> Iterator[bytes]:
        for i in range(manifest.chunk_count):
            data = trio.from_thread.run(source.fetch_snapshot_part, ["chunk", h, i])
            if data is None:
                raise SnapshotInvalid(f"no peer served chunk {i}", "snapshot_chunk_unavailable")
            yield data

    log.info("state sync: installing the snapshot at %d (%d chunks)", h, manifest.chunk_count)
    async with driver.commit_lock:
        if chain.height != 0:  # consensus executed a block while we fetched: go by blocks
            return False
        try:
            await trio.to_thread.run_sync(
                partial(
                    install_snapshot,
                    chain.store.kv,
                    chain.genesis,
                    manifest,
                    chunks(),
                    expected_root=checkpoint.state_root,
                    replace_genesis=True,
                )
            )
        except SnapshotInvalid as exc:
            log.warning("state sync failed (%s): catching up by blocks", exc)
            chain.store.init_genesis(chain.genesis)
            chain.store.tree.reload()
            return False
        chain.store.adopt_certificate(cert)
        chain.store.tree.reload()
    chain.prune_mempool()
    log.info("state sync: installed height %d, root %s", h, checkpoint.state_root.hex()[:16])
    return True


def _in_trio() -> bool:
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True
