"""`scctn bench`: benchmarks that print their figures."""

from __future__ import annotations

import click


@click.group("bench")
def bench() -> None:
    """Throughput and latency benchmarks (print figures; never part of the tests)."""
