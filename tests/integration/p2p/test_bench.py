"""The benchmark runs end to end (two processes; gossip meshes) and delivers everything."""

import pytest

from p2p import bench


@pytest.mark.parametrize("processes", [True, False], ids=["gossip-processes", "gossip-in-process"])
def test_bench_smoke(processes: bool) -> None:
    figures = bench.run(
        messages=3000, size=200, gossip_nodes=(4,), gossip_messages=200, gossip_processes=processes
    )
    assert figures["link_msgs_per_s"] > 0
    assert figures["gossip_4_delivered"] == 1.0
    assert 0 < figures["gossip_4_p50_ms"] <= figures["gossip_4_p99_ms"]
