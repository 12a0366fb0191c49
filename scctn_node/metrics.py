"""Prometheus metrics of one node, in a registry of its own (tests may run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class NodeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.height = Gauge("scctn_height", "Height of the last committed block", registry=r)
        self.txs_committed = Counter(
            "scctn_txs_committed", "Transactions committed in blocks", ["status"], registry=r
        )
        self.blocks_committed = Counter("scctn_blocks_committed", "Blocks committed", registry=r)
        self.mempool_size = Gauge("scctn_mempool_size", "Transactions in the mempool", registry=r)
        self.mempool_rejected = Counter(
            "scctn_mempool_rejected", "Transactions refused at admission", ["code"], registry=r
        )
        self.commit_latency = Histogram(
            "scctn_block_commit_seconds",
            "Time to build, execute and persist one block",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.api_requests = Counter(
            "scctn_api_requests", "API requests", ["route", "status"], registry=r
        )
        self.ws_clients = Gauge("scctn_ws_clients", "WebSocket subscribers", registry=r)
        self.view = Gauge("scctn_consensus_view", "Current PBFT view", registry=r)
        self.view_changes = Counter(
            "scctn_consensus_view_changes", "View changes this node went through", registry=r
        )
        self.invalid_messages = Counter(
            "scctn_consensus_invalid_messages",
            "Consensus messages refused (garbage, bad signatures, unknown senders)",
            registry=r,
        )
        self.peers_linked = Gauge("scctn_peers_linked", "Validators with a live link", registry=r)
        self.validators_missing = Gauge(
            "scctn_validators_missing", "Validators this node has no link to", registry=r
        )
        self.syncing = Gauge("scctn_syncing", "1 while catching up by block sync", registry=r)
        self.state_transfers = Counter(
            "scctn_state_transfers", "Catch-ups started from a stable checkpoint", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
