"""The small pure pieces: seen-cache, backoff, scores, rate limit, targets, send queue."""

from __future__ import annotations

import random

import pytest
import trio

from p2p import Limits, P2PConfig, PeerSpec
from p2p.backoff import Backoff
from p2p.errors import ConfigError, LinkReset
from p2p.gossip import SeenCache, choose_targets, gossip_id
from p2p.peer_score import INITIAL_SCORE, Offence, PeerScores, TokenBucket
from p2p.sendqueue import SendQueue
from primitives.keys import PrivateKey


def test_seen_cache_dedups_expires_and_is_bounded() -> None:
    c = SeenCache(capacity=3, ttl=10.0)
    assert c.add(b"a", 0.0)
    assert not c.add(b"a", 5.0)
    assert c.add(b"a", 10.0)  # expired, so new again
    for k in (b"b", b"c", b"d"):
        assert c.add(k, 11.0)
    assert len(c) == 3 and b"a" not in c  # oldest evicted


def test_gossip_id_depends_on_payload_only() -> None:
    assert gossip_id(b"x") == gossip_id(b"x") != gossip_id(b"y")


def test_choose_targets_never_returns_the_source() -> None:
    peers = [bytes([i]) * 32 for i in range(6)]
    rng = random.Random(1)
    assert choose_targets(peers, peers[2], None, rng) == peers[:2] + peers[3:]
    for _ in range(50):
        t = choose_targets(peers, peers[0], 3, rng)
        assert len(t) == 3 and peers[0] not in t and len(set(t)) == 3


def test_backoff_grows_with_jitter_caps_and_resets() -> None:
    b = Backoff(0.1, 2.0, random.Random(7))
    delays = [b.next_delay() for _ in range(10)]
    for n, d in enumerate(delays):
        full = min(2.0, 0.1 * 2**n)
        assert full / 2 <= d <= full
    assert len(set(delays)) == len(delays)  # jittered
    b.reset()
    assert b.next_delay() <= 0.1


def test_scores_ban_and_recover() -> None:
    s = PeerScores(threshold=0, ban_seconds=60.0)
    p = b"p" * 32
    assert not s.penalise(p, Offence.BAD_MESSAGE, 0.0)
    assert s.score(p, 0.0) == INITIAL_SCORE - 20
    assert s.score(p, 10.0) == INITIAL_SCORE - 10  # one point per second back
    for _ in range(4):
        assert not s.penalise(p, Offence.BAD_MESSAGE, 10.0)
    assert s.penalise(p, Offence.BAD_MESSAGE, 10.0)  # 90 - 80 - 20 = -10
    assert s.is_banned(p, 10.0) and s.is_banned(p, 69.0)
    assert s.ban_remaining(p, 40.0) == pytest.approx(30.0)
    assert not s.is_banned(p, 70.0)
    assert not s.is_banned(b"q" * 32, 10.0)


def test_token_bucket() -> None:
    t = TokenBucket(rate=10.0, burst=5.0, now=0.0)
    assert t.take(0.0, 5) and not t.take(0.0)
    assert t.take(0.1) and not t.take(0.1)


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        PeerSpec(b"short")
    with pytest.raises(ConfigError):
        PeerSpec(b"k" * 32, "127.0.0.1", None)
    with pytest.raises(ConfigError):
        Limits(idle_timeout=1.0, keepalive_interval=2.0)
    with pytest.raises(ConfigError):
        P2PConfig(identity=PrivateKey.generate(), chain_id="")
    with pytest.raises(ConfigError):
        P2PConfig(identity=PrivateKey.generate(), chain_id="c", hash_name="MD5")
    assert Limits().max_frame >= Limits().max_payload


def test_send_queue_lanes_priority_and_shedding() -> None:
    async def main() -> None:
        q = SendQueue(reliable_max=2, gossip_max=1)
        assert q.put_gossip(b"g1") and not q.put_gossip(b"g2")  # shed
        assert q.try_put_reliable(b"r1") and q.try_put_reliable(b"r2")
        assert not await q.put_reliable(b"r3", wait=0.05)  # no space came
        assert await q.take(1 << 20) == [b"r1", b"r2", b"g1"]  # reliable first
        got: list[bytes] = []

        async def taker() -> None:
            got.extend(await q.take(1 << 20))

        async with trio.open_nursery() as n:
            n.start_soon(taker)
            await trio.sleep(0.01)
            assert await q.put_reliable(b"r4", wait=5)
        assert got == [b"r4"]
        q.close()
        with pytest.raises(LinkReset):
            q.try_put_reliable(b"x")
        with pytest.raises(LinkReset):
            await q.take(10)

    trio.run(main)


def test_send_queue_backpressure_wakes_a_waiting_producer() -> None:
    async def main() -> None:
        q = SendQueue(reliable_max=1, gossip_max=1)
        q.try_put_reliable(b"a")
        ok: list[bool] = []

        async def producer() -> None:
            ok.append(await q.put_reliable(b"b", wait=30))

        async with trio.open_nursery() as n:
            n.start_soon(producer)
            await trio.sleep(0.01)
            assert await q.take(1 << 20) == [b"a"]
        assert ok == [True] and list(q.reliable) == [b"b"]

    trio.run(main)


def test_send_queue_batches_respect_the_byte_budget() -> None:
    async def main() -> None:
        q = SendQueue(reliable_max=100, gossip_max=100)
        for i in range(10):
            q.try_put_reliable(bytes([i]) * 96)  # 100 bytes each with the record header
        assert len(await q.take(350)) == 3
        assert len(await q.take(50)) == 1  # always at least one

    trio.run(main)


def test_prometheus_sink_uses_the_injected_registry() -> None:
    from prometheus_client import CollectorRegistry

    from p2p.metrics import PrometheusMetrics

    reg = CollectorRegistry()
    m = PrometheusMetrics(reg)
    m.inc("drops", 3, "gossip:send_queue_full")
    m.inc("drops", 1, "gossip:send_queue_full")
    m.set_gauge("peers_connected", 5)
    assert reg.get_sample_value("scctn_p2p_drops_total", {"kind": "gossip:send_queue_full"}) == 4.0
    assert reg.get_sample_value("scctn_p2p_peers_connected") == 5.0
    PrometheusMetrics(CollectorRegistry()).inc("drops")  # a second registry does not collide
