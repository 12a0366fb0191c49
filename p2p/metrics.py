"""Metrics hooks. The node wires a `MetricsSink` to Prometheus; tests read CounterMetrics.

Names (stable; each maps to one Prometheus counter or gauge, the label in brackets):
    peers_connected (gauge)
    messages_in / messages_out [class]     envelopes per MsgClass (control, consensus,
                                           gossip, sync)
    bytes_in / bytes_out [class]           envelope bytes per MsgClass
    wire_bytes_in / wire_bytes_out         link bytes after encryption and framing
    drops [class:reason]                   shed messages (gossip send queue or inbound
                                           queue full, unsolicited responses)
    bans                                   peers banned
    handshake_failures [code]              error code of the failed or refused handshake
    link_resets [code]                     links closed, by reason code
    misbehaviour [offence]                 score penalties by offence
    gossip_duplicates, duplicate_links, dial_failures
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol


class MetricsSink(Protocol):
    def inc(self, name: str, value: int = 1, label: str = "") -> None: ...

    def set_gauge(self, name: str, value: int) -> None: ...


class CounterMetrics:
    """In-memory counters keyed by (name, label); safe to read from tests."""

    def __init__(self) -> None:
        self.counters: Counter[tuple[str, str]] = Counter()
        self.gauges: dict[str, int] = {}

    def inc(self, name: str, value: int = 1, label: str = "") -> None:
        self.counters[(name, label)] += value

    def set_gauge(self, name: str, value: int) -> None:
        self.gauges[name] = value

    def get(self, name: str, label: str | None = None) -> int:
        if label is not None:
            return self.counters[(name, label)]
        return sum(v for (n, _), v in self.counters.items() if n == name)


class PrometheusMetrics:
    """`MetricsSink` on prometheus_client, registered in the given (injectable) registry.

    Counter `scctn_p2p_<name>_total{kind=<label>}`, gauge `scctn_p2p_<name>`.
    """

    def __init__(self, registry: Any, prefix: str = "scctn_p2p") -> None:
        self._registry = registry
        self._prefix = prefix
        self._counters: dict[str, Any] = {}
        self._gauges: dict[str, Any] = {}

    def inc(self, name: str, value: int = 1, label: str = "") -> None:
        from prometheus_client import Counter as PCounter

        counter = self._counters.get(name)
        if counter is None:
            counter = PCounter(
                f"{self._prefix}_{name}", f"p2p {name}", ["kind"], registry=self._registry
            )
            self._counters[name] = counter
        counter.labels(kind=label).inc(value)

    def set_gauge(self, name: str, value: int) -> None:
        from prometheus_client import Gauge

        gauge = self._gauges.get(name)
        if gauge is None:
            gauge = Gauge(f"{self._prefix}_{name}", f"p2p {name}", registry=self._registry)
            self._gauges[name] = gauge
        gauge.set(value)
