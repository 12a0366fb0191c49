"""Metrics hooks. The node wires a `MetricsSink` to Prometheus; tests read CounterMetrics.

Names (stable; each maps to one Prometheus counter or gauge, labels in brackets):
    peers_connected (gauge)
    bytes_in / bytes_out                  link bytes, after encryption
    messages_in / messages_out [class]    envelopes per MsgClass name
    drops [class, reason]                 shed messages (gossip overload, inbound full)
    bans                                  peers banned
    handshake_failures [reason]           error code of the failed handshake
    link_resets [reason]                  links torn down by us, by error code
    misbehaviour [reason]                 score penalties by offence
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


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
