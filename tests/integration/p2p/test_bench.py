"""The benchmark runs end to end (two processes, gossip mesh) and delivers everything."""

from p2p import bench


def test_bench_smoke() -> None:
    figures = bench.run(messages=3000, size=200, gossip_nodes=(4,), gossip_messages=200)
    assert figures["link_msgs_per_s"] > 0
    assert figures["gossip_4_delivered"] == 1.0
    assert 0 < figures["gossip_4_p50_ms"] <= figures["gossip_4_p99_ms"]
