"""Prometheus metrics of the bridge watcher, in the node's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class BridgeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.locked = Gauge(
            "scctn_bridge_locked", "Tokens in the vault, in chain units (floor)", registry=r
        )
        self.minted = Gauge(
            "scctn_bridge_minted", "Wrapped SCCTN outstanding on chain, chain units", registry=r
        )
        self.invariant_ok = Gauge(
            "scctn_bridge_invariant_ok", "1 while locked >= minted, 0 after a violation", registry=r
        )
        self.halted = Gauge(
            "scctn_bridge_halted",
            "1 while minting is halted (on chain, or by this watcher after a violation)",
            registry=r,
        )
        self.conflicts = Gauge(
            "scctn_bridge_attestation_conflicts",
            "Disagreeing attestations seen for one deposit nonce",
            registry=r,
        )
        self.last_scanned = Gauge(
            "scctn_bridge_last_scanned_block",
            "Last Ethereum block scanned for deposits",
            registry=r,
        )
        self.attestations = Counter(
            "scctn_bridge_attestations", "Deposit attestations this validator submitted", registry=r
        )
        self.signatures = Counter(
            "scctn_bridge_signatures", "Outbox signatures this validator submitted", registry=r
        )
        self.errors = Counter(
            "scctn_bridge_watcher_errors",
            "Failed watcher rounds by error type",
            ["type"],
            registry=r,
        )
