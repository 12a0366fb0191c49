"""The running node: the chain, admission with group commit, block production, and
subscribers, on trio.

Threads: all chain and mempool state is owned by the trio thread. Two kinds of work go to
worker threads: decoding and signature checks of submitted transactions (pynacl releases
the GIL, so this uses the second core), and executing + persisting a block (LevelDB's
synced write releases the GIL). `commit_lock` keeps readers of the state tree (proofs)
out while a block is being written.

Durability: a submitted transaction is acknowledged only after it is in LevelDB
(`AdmissionLog` gathers the admissions of concurrent requests into one synced write), so
an acknowledged transaction survives kill -9 and is re-admitted on restart.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import trio

from scctn_node.api import views
from scctn_node.chain.chain import Chain, Committed
from scctn_node.errors import MempoolFull, NodeError, TransactionRejected
from scctn_node.metrics import NodeMetrics
from vm.tx import SignedTransaction

log = logging.getLogger("scctn.node")

SUBSCRIBER_QUEUE = 10_000
RECENT_COMMITS = 3_600  # per-block (height, wall time, txs, seconds) kept for the explorer


@dataclass(slots=True)
class SubmitResult:
    tx_hash: bytes | None = None
    known: bool = False
    error: NodeError | None = None


class AdmissionLog:
    """Group commit of admitted transactions: one synced LevelDB write per round."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self._pending: list[tuple[bytes, bytes]] = []
        self._done = trio.Event()
        self._wake = trio.Event()

    async def persist(self, items: list[tuple[bytes, bytes]]) -> None:
        if not items:
            return
        self._pending.extend(items)
        done = self._done
        self._wake.set()
        await done.wait()

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            items, self._pending = self._pending, []
            done, self._done = self._done, trio.Event()
            await trio.to_thread.run_sync(self.chain.store.persist_mempool, items)
            done.set()


@dataclass(slots=True)
class Subscribers:
    channels: set[trio.MemorySendChannel[dict[str, Any]]] = field(default_factory=set)

    def open(self) -> trio.MemoryReceiveChannel[dict[str, Any]]:
        send, recv = trio.open_memory_channel[dict[str, Any]](SUBSCRIBER_QUEUE)
        self.channels.add(send)
        return recv

    def publish(self, message: dict[str, Any]) -> None:
        for ch in list(self.channels):
            try:
                ch.send_nowait(message)
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                # a subscriber that cannot keep up is cut off, never waited for
                self.channels.discard(ch)
                ch.close()


class NodeService:
    def __init__(
        self,
        chain: Chain,
        metrics: NodeMetrics,
        *,
        block_interval_ms: int = 200,
        empty_block_interval_ms: int = 5_000,
    ) -> None:
        self.chain = chain
        self.metrics = metrics
        self.block_interval = block_interval_ms / 1000
        self.empty_block_interval = empty_block_interval_ms / 1000
        self.consensus_status: Callable[[], dict[str, Any]] = dict
        self.consensus_health: Callable[[], list[str]] = list
        # extra sections of /health (the bridge watcher): name -> () -> (reasons, body)
        self.health_sections: dict[str, Callable[[], tuple[list[str], dict[str, Any]]]] = {}
        # per validator: name, key, linked, seconds since last heard (set by the node)
        self.validator_links: Callable[[], list[dict[str, Any]]] = list
        self.recent_commits: deque[tuple[int, float, int, float]] = deque(maxlen=RECENT_COMMITS)
        self.commit_lock = trio.Lock()
        self.admission = AdmissionLog(chain)
        self.subscribers = Subscribers()
        # called with the (hash, bytes) of newly admitted transactions and whether they came
        # from a peer: gossip (client transactions only), waking the proposer
        self.on_admitted: list[Callable[[list[tuple[bytes, bytes]], bool], None]] = []
        self.last_commit_time = time.time()
        self.started_at = time.time()
        metrics.height.set(chain.height)

    # ------------------------------------------------------------- lifecycle
    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Admission and housekeeping; blocks are produced by the consensus driver, which
        calls `on_commit` for each one."""
        restored = self.chain.restore_mempool()
        if restored:
            log.info("restored %d pending transactions from disk", restored)
        self.metrics.mempool_size.set(len(self.chain.mempool))
        async with trio.open_nursery() as nursery:
            await nursery.start(self.admission.run)
            nursery.start_soon(self._sweep_loop)
            task_status.started()

    async def _sweep_loop(self) -> None:
        while True:
            await trio.sleep(30)
            dropped = self.chain.prune_mempool()
            if dropped:
                log.info("dropped %d expired transactions", len(dropped))
                self.metrics.mempool_size.set(len(self.chain.mempool))

    async def on_commit(self, committed: Committed, seconds: float) -> None:
        self.last_commit_time = time.time()
        self._record(committed, seconds)
        self._publish(committed)

    def _record(self, committed: Committed, seconds: float) -> None:
        m = self.metrics
        m.height.set(committed.block.height)
        m.blocks_committed.inc()
        ok = sum(1 for r in committed.receipts if r.ok)
        m.txs_committed.labels("ok").inc(ok)
        m.txs_committed.labels("failed").inc(len(committed.receipts) - ok)
        m.commit_latency.observe(seconds)
        b = committed.block
        self.recent_commits.append((b.height, self.last_commit_time, len(b.txs), seconds))
        m.mempool_size.set(len(self.chain.mempool))
        if committed.block.txs:
            log.info(
                "committed block",
                extra={
                    "height": committed.block.height,
                    "txs": len(committed.block.txs),
                    "ms": round(seconds * 1000, 1),
                },
            )

    def _publish(self, committed: Committed) -> None:
        if not self.subscribers.channels:
            return
        b = committed.block
        self.subscribers.publish({"type": "block", "block": views.block(b, full=False)})
        for index, receipt in enumerate(committed.receipts):
            self.subscribers.publish(
                {
                    "type": "receipt",
                    "height": b.height,
                    "index": index,
                    "receipt": views.receipt(receipt),
                }
            )

    # ------------------------------------------------------------- admission
    def _decode_all(self, raws: Sequence[bytes]) -> list[SignedTransaction | NodeError]:
        out: list[SignedTransaction | NodeError] = []
        for raw in raws:
            try:
                out.append(self.chain.mempool.decode(raw))
            except NodeError as exc:
                out.append(exc)
        return out

    async def submit(self, raws: Sequence[bytes], *, from_peer: bool = False) -> list[SubmitResult]:
        """Admit transactions; returns one result per input, in order. Accepted ones are
        durable when this returns. Transactions from clients are handed to the
        `on_admitted` hooks (gossip); those from peers are already being flooded."""
        decoded = await trio.to_thread.run_sync(self._decode_all, raws)
        results: list[SubmitResult] = []
        fresh: list[bytes] = []
        next_height = self.chain.height + 1
        for raw, item in zip(raws, decoded, strict=True):
            if isinstance(item, NodeError):
                results.append(SubmitResult(error=item))
                continue
            try:
                admitted = self.chain.mempool.admit(item, raw, next_height)
            except (TransactionRejected, MempoolFull) as exc:
                results.append(SubmitResult(error=exc))
                continue
            results.append(SubmitResult(admitted.tx_hash, admitted.known))
            if not admitted.known:
                fresh.append(admitted.tx_hash)
        for r in results:
            if r.error is not None:
                self.metrics.mempool_rejected.labels(r.error.code).inc()
        if fresh:
            admitted_items = self.chain.mempool.raw(fresh)
            await self.admission.persist(admitted_items)
            for hook in self.on_admitted:
                hook(admitted_items, from_peer)
        self.metrics.mempool_size.set(len(self.chain.mempool))
        return results

    # ----------------------------------------------------------------- status
    def status(self) -> dict[str, Any]:
        store = self.chain.store
        return {
            "chain_id": self.chain.chain_id,
            "height": store.height,
            "latest_block_hash": store.last_block_hash.hex(),
            "state_root": store.state_root.hex(),
            "genesis_hash": store.genesis_hash.hex(),
            "validator": self.chain.proposer_key.hex(),
            "validators": len(self.chain.validators),
            "consensus": self.consensus_status(),
            "mempool_size": len(self.chain.mempool),
            "last_commit_age_ms": int((time.time() - self.last_commit_time) * 1000),
            "uptime_s": int(time.time() - self.started_at),
        }

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy unless blocks stopped while there is work; the reasons say why."""
        age = time.time() - self.last_commit_time
        limit = max(self.empty_block_interval, self.block_interval) * 3 + 5
        stalled = age > limit
        body: dict[str, Any] = {
            "status": "stalled" if stalled else "ok",
            "height": self.chain.height,
            "last_commit_age_ms": int(age * 1000),
            "mempool_size": len(self.chain.mempool),
        }
        reasons = self.consensus_health()
        if stalled:
            reasons = [f"no block committed for {int(age)} s", *reasons]
        for name, probe in self.health_sections.items():
            extra, body[name] = probe()
            if extra and not stalled:
                body["status"] = "degraded"  # still serving blocks: 200, with the reasons
            reasons = [*reasons, *extra]
        if reasons:
            body["reasons"] = reasons
        return (not stalled), body
