"""Hostile peers: each attack ends in a disconnect or a ban, and the node keeps serving
its honest peer. Time limits are shortened (FAST limits) so nothing waits for seconds."""

from __future__ import annotations

from dataclasses import replace

import trio

from p2p import MsgClass, PeerSpec
from p2p.channel import SecureChannel
from p2p.envelope import encode_ping
from p2p.errors import InvalidHandshake
from p2p.framing import HEADER
from p2p.handshake import Handshake, make_proof
from p2p.link import perform_handshake
from p2p.noise import generate_x25519, x25519_public
from primitives import codec
from primitives.keys import PrivateKey
from tests.integration.p2p.helpers import (
    CHAIN,
    Harness,
    spec,
    start_node,
    wait_until,
    with_limits,
)

LIMITS = with_limits(
    handshake_timeout=0.5, idle_timeout=1.0, keepalive_interval=0.2, send_timeout=1.0
)


async def _pair_plus_attacker(
    nursery: trio.Nursery, **limits: object
) -> tuple[Harness, Harness, PrivateKey]:
    lim = replace(LIMITS, **limits)  # type: ignore[arg-type]
    a = await start_node(nursery, limits=lim)
    b = await start_node(nursery, limits=lim)
    evil = PrivateKey.generate()
    a.node.update_peers([spec(b), PeerSpec(evil.public.raw)])
    b.node.update_peers([spec(a)])
    await wait_until(lambda: a.node.connected_peers() == [b.pub])
    return a, b, evil


async def _still_healthy(a: Harness, b: Harness) -> None:
    before = len(b.delivered())
    await wait_until(lambda: a.node.connected_peers() == [b.pub])
    await a.node.send(b.pub, MsgClass.CONSENSUS, b"still here")
    await wait_until(lambda: len(b.delivered()) > before)


async def _raw_connect(a: Harness) -> trio.SocketStream:
    assert a.node.port is not None
    return await trio.open_tcp_stream("127.0.0.1", a.node.port)


async def _authenticated(a: Harness, key: PrivateKey) -> tuple[trio.SocketStream, SecureChannel]:
    stream = await _raw_connect(a)
    hs = Handshake(initiator=True, identity=key, chain_id=CHAIN, noise_static=generate_x25519())
    result, _ = await perform_handshake(stream, hs, 10)
    return stream, SecureChannel(result.send, result.recv, 1 << 20)


async def _wait_closed(stream: trio.SocketStream) -> None:
    """Read until the node closes the connection (EOF or reset)."""
    with trio.fail_after(30):
        try:
            while await stream.receive_some(65536):
                pass
        except trio.BrokenResourceError:
            pass
    await stream.aclose()


def test_garbage_and_oversize_prefix_before_handshake() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, _ = await _pair_plus_attacker(nursery)
            for junk in (HEADER.pack(2**32 - 1), HEADER.pack(5000) + b"x" * 100, b"\x00" * 4):
                s = await _raw_connect(a)
                await s.send_all(junk)
                await _wait_closed(s)
            assert a.metrics.get("handshake_failures", "invalid_handshake") == 3
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_slow_loris_handshake_times_out() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, _ = await _pair_plus_attacker(nursery)
            s = await _raw_connect(a)
            closed = trio.Event()

            async def trickle() -> None:
                try:
                    for byte in HEADER.pack(32) + b"\x01" * 32:
                        await s.send_all(bytes([byte]))
                        await trio.sleep(0.1)  # one byte per tick, far slower than needed
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    pass
                closed.set()

            nursery.start_soon(trickle)
            await _wait_closed(s)
            assert a.metrics.get("handshake_failures", "handshake_timeout") == 1
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_undecryptable_frames_get_the_peer_banned() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, evil = await _pair_plus_attacker(nursery)
            for _ in range(2):
                s, _ = await _authenticated(a, evil)
                await s.send_all(HEADER.pack(40) + b"\x42" * 40)  # not sealed by the key
                await _wait_closed(s)
            await wait_until(lambda: a.node.is_banned(evil.public.raw))
            assert a.metrics.get("misbehaviour", "bad_frame") == 2
            assert a.metrics.get("bans") == 1
            # while banned, even a perfect handshake is refused
            s, _ = await _authenticated(a, evil)
            await _wait_closed(s)
            await wait_until(lambda: a.metrics.get("handshake_failures", "not_permitted") == 1)
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_oversize_length_prefix_after_handshake() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, evil = await _pair_plus_attacker(nursery)
            s, _ = await _authenticated(a, evil)
            await s.send_all(HEADER.pack(2**31))
            await _wait_closed(s)
            await wait_until(lambda: a.metrics.get("misbehaviour", "oversize") == 1)
            assert a.metrics.get("link_resets", "oversize_frame") == 1
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_malformed_envelopes_lower_the_score_until_ban() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, evil = await _pair_plus_attacker(nursery)
            s, ch = await _authenticated(a, evil)
            bad = [b"\xc1", codec.encode([1, 9, b"x"]), codec.encode([7]), b"\x93\x01\x01"]
            await s.send_all(ch.seal([encode_ping(1)] + bad))  # authentic frame, bad records
            await s.send_all(ch.seal(bad))
            await _wait_closed(s)
            assert a.node.is_banned(evil.public.raw)
            assert a.metrics.get("misbehaviour", "bad_message") >= 5  # 100 / 20, plus recovery
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_truncated_frame_then_silence_is_cut_as_stalled() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, evil = await _pair_plus_attacker(nursery)
            s, ch = await _authenticated(a, evil)
            frame = ch.seal([encode_ping(1)])
            await s.send_all(frame[:-3])  # then one byte per tick, never the last two
            await trio.sleep(0.2)
            await s.send_all(frame[-3:-2])
            await _wait_closed(s)
            await wait_until(lambda: a.metrics.get("misbehaviour", "stalled") == 1)
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_flood_beyond_rate_gets_banned() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, evil = await _pair_plus_attacker(nursery, rate_per_sec=50.0, rate_burst=50.0)
            s, ch = await _authenticated(a, evil)
            try:
                with trio.fail_after(30):
                    while True:
                        await s.send_all(ch.seal([encode_ping(i) for i in range(20)]))
                        await trio.sleep(0.005)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            await s.aclose()
            await wait_until(lambda: a.node.is_banned(evil.public.raw))
            assert a.metrics.get("misbehaviour", "flood") >= 10
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_peer_that_never_reads_is_reset_and_upper_layer_told() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, evil = await _pair_plus_attacker(
                nursery, consensus_queue=8, gossip_queue=8, consensus_wait=0.2
            )
            s, _ = await _authenticated(a, evil)
            await wait_until(lambda: evil.public.raw in a.node.connected_peers())
            payload = b"z" * 60_000
            sent_ok = 0
            for _ in range(2000):  # far more than socket buffers hold
                if evil.public.raw not in a.node.connected_peers():
                    break
                a.node.gossip(payload + b"%d" % sent_ok)  # sheddable: dropped and counted
                try:
                    await a.node.send(evil.public.raw, MsgClass.CONSENSUS, payload)
                    sent_ok += 1
                except Exception as exc:
                    assert getattr(exc, "code", "") in ("link_reset", "not_connected")
                    break
            await wait_until(lambda: any(d.peer == evil.public.raw for d in a.downs()))
            down = next(d for d in a.downs() if d.peer == evil.public.raw)
            assert down.code in ("send_queue_full", "not_reading")
            assert down.consensus_lost
            assert a.metrics.get("drops", "gossip:send_queue_full") > 0
            await s.aclose()
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_replayed_handshake_is_refused() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, evil = await _pair_plus_attacker(nursery)
            # Record a genuine handshake of `evil` (permitted) with `a`...
            s = await _raw_connect(a)
            hs = Handshake(
                initiator=True, identity=evil, chain_id=CHAIN, noise_static=generate_x25519()
            )
            m1 = HEADER.pack(len(first := hs.start())) + first
            await s.send_all(m1)
            buf = b""
            while len(buf) < 4 or len(buf) < 4 + HEADER.unpack_from(buf)[0]:
                buf += await s.receive_some(4096)
            reply = hs.receive(buf[4:])
            assert reply is not None
            m3 = HEADER.pack(len(reply)) + reply
            await s.send_all(m3)
            await wait_until(lambda: evil.public.raw in a.node.connected_peers())
            await s.aclose()
            await wait_until(lambda: evil.public.raw not in a.node.connected_peers())
            # ...and replay it byte for byte without the keys.
            r = await _raw_connect(a)
            await r.send_all(m1)
            await r.receive_some(4096)
            await r.send_all(m3)
            await _wait_closed(r)
            await wait_until(lambda: a.metrics.get("handshake_failures", "invalid_handshake") == 1)
            assert len([u for u in a.ups() if u.peer == evil.public.raw]) == 1
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_concurrent_handshakes_are_capped() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, _ = await _pair_plus_attacker(
                nursery, max_pending_handshakes=2, handshake_timeout=5.0
            )
            idle = [await _raw_connect(a) for _ in range(2)]  # connect, say nothing
            await trio.sleep(0.2)
            extra = await _raw_connect(a)
            await _wait_closed(extra)  # refused at once, long before the timeout
            assert a.metrics.get("handshake_failures", "too_many_handshakes") == 1
            for s in idle:
                await s.aclose()
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_captured_identity_proof_cannot_be_reused() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a, b, _ = await _pair_plus_attacker(nursery)
            # b's genuine proof (any peer of b sees it in handshake message 2) is bound to
            # b's Noise static key; an attacker presents it with a static key of its own.
            captured = make_proof(b.key, CHAIN, x25519_public(generate_x25519()))
            s = await _raw_connect(a)
            hs = Handshake(
                initiator=True,
                identity=PrivateKey.generate(),
                chain_id=CHAIN,
                noise_static=generate_x25519(),
                proof=captured,
            )
            try:
                await perform_handshake(s, hs, 10)
            except InvalidHandshake:
                pass  # we may or may not notice before the node hangs up
            await _wait_closed(s)
            await wait_until(lambda: a.metrics.get("handshake_failures", "invalid_handshake") == 1)
            assert a.node.connected_peers() == [b.pub]
            assert (
                len([u for u in a.ups() if u.peer == b.pub])
                == len([d for d in a.downs() if d.peer == b.pub]) + 1
            )  # the impostor never replaced b's link
            await _still_healthy(a, b)
            nursery.cancel_scope.cancel()

    trio.run(main)
