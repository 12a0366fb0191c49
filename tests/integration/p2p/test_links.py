"""Two and N nodes over loopback in one process: handshake, identity, permissioning."""

from __future__ import annotations

import trio

from p2p import MsgClass, PeerSpec
from p2p.errors import MessageTooLarge, NotConnected
from p2p.events import Delivered
from primitives.keys import PrivateKey
from tests.integration.p2p.helpers import mesh, spec, start_node, wait_until, with_limits


def test_two_nodes_link_and_exchange_consensus_messages() -> None:
    async def main() -> None:
        async with mesh(2) as (a, b):
            assert a.node.connected_peers() == [b.pub]
            assert b.node.connected_peers() == [a.pub]
            for i in range(100):
                await a.node.send(b.pub, MsgClass.CONSENSUS, b"m%d" % i)
            await wait_until(lambda: len(b.delivered()) == 100)
            got = [e.payload for e in b.delivered()]
            assert got == [b"m%d" % i for i in range(100)]  # in order
            assert all(e.peer == a.pub and e.msg_class == MsgClass.CONSENSUS for e in b.delivered())
            assert {u.peer for u in b.ups()} == {a.pub}
            assert len(b.ups()) == len(b.downs()) + 1  # start-up duplicates: down, then up

    trio.run(main)


def test_n_nodes_form_one_link_per_pair() -> None:
    async def main() -> None:
        async with mesh(5) as hs:
            await trio.sleep(0.3)  # let duplicate dials settle
            for h in hs:
                assert sorted(h.node.connected_peers()) == sorted(x.pub for x in hs if x is not h)
            await hs[0].node.broadcast(MsgClass.CONSENSUS, b"hello")
            await wait_until(lambda: all(len(h.delivered()) == 1 for h in hs[1:]))
            assert not hs[0].delivered()

    trio.run(main)


def test_unknown_identity_is_refused_after_handshake() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            a = await start_node(nursery)
            await start_node(nursery, peers=[spec(a)])  # a stranger dials a
            await wait_until(lambda: a.metrics.get("handshake_failures", "not_permitted") >= 2)
            assert a.node.connected_peers() == []
            assert not a.ups()
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_wrong_key_for_an_address_is_refused() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            b = await start_node(nursery)
            impostor_key = PrivateKey.generate()
            # a expects impostor_key at b's address; b also permits a (so only a refuses).
            a = await start_node(
                nursery, peers=[PeerSpec(impostor_key.public.raw, "127.0.0.1", b.node.port)]
            )
            b.node.update_peers([PeerSpec(a.pub)])
            await wait_until(lambda: a.metrics.get("handshake_failures", "identity_mismatch") >= 2)
            assert a.node.connected_peers() == []
            assert not a.ups()
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_observer_is_accepted_inbound_only() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            v = await start_node(nursery)
            obs = await start_node(nursery, peers=[spec(v)])
            v.node.update_peers([], observers=[obs.pub])
            await wait_until(lambda: v.node.connected_peers() == [obs.pub])
            await obs.node.send(v.pub, MsgClass.GOSSIP, b"tx")
            await wait_until(lambda: len(v.delivered()) == 1)
            # removing the observer from the permitted set drops the link
            v.node.update_peers([])
            await wait_until(lambda: v.node.connected_peers() == [])
            assert any(d.code == "not_permitted" for d in v.downs())
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_request_response_and_timeout() -> None:
    async def handler(peer: bytes, payload: bytes) -> bytes:
        if payload == b"slow":
            await trio.sleep(100)
        if payload == b"boom":
            raise RuntimeError("handler bug")
        return b"block:" + payload

    async def main() -> None:
        async with mesh(2, handler=handler) as (a, b):
            assert await a.node.request(b.pub, b"7") == b"block:7"
            results = []

            async def many(i: int) -> None:
                results.append(await a.node.request(b.pub, b"%d" % i, timeout=20))

            async with trio.open_nursery() as n:
                for i in range(10):
                    n.start_soon(many, i)
            assert sorted(results) == sorted(b"block:%d" % i for i in range(10))
            try:
                await a.node.request(b.pub, b"slow", timeout=0.2)
            except Exception as exc:
                assert type(exc).__name__ == "RequestTimeout"
            else:
                raise AssertionError("expected a timeout")
            try:
                await a.node.request(b.pub, b"boom", timeout=20)
            except Exception as exc:
                assert type(exc).__name__ == "RemoteError"
            else:
                raise AssertionError("expected a remote error")
            # the link survived all of it
            assert await b.node.request(a.pub, b"x", timeout=20) == b"block:x"

    trio.run(main)


def test_gossip_reaches_every_node_exactly_once() -> None:
    async def main() -> None:
        async with mesh(6) as hs:
            for i in range(50):
                hs[i % 6].node.gossip(b"tx-%d" % i)
            expected = {b"tx-%d" % i for i in range(50)}

            def done() -> bool:
                return all(
                    {e.payload for e in h.delivered()}
                    == {b"tx-%d" % i for i in range(50) if i % 6 != k}
                    for k, h in enumerate(hs)
                )

            await wait_until(done)
            await trio.sleep(0.3)  # any late duplicate would show up now
            for k, h in enumerate(hs):
                payloads = [e.payload for e in h.delivered()]
                assert len(payloads) == len(set(payloads))  # exactly once per node
                assert set(payloads) | {b"tx-%d" % i for i in range(k, 50, 6)} == expected
                assert all(isinstance(e, Delivered) for e in h.delivered())
            # flooding: each node forwards each message once to each peer but its source,
            # so duplicates are bounded and were absorbed by the seen-cache
            assert sum(h.metrics.get("gossip_duplicates") for h in hs) > 0

    trio.run(main)


def test_gossip_is_never_sent_back_to_its_source() -> None:
    async def main() -> None:
        async with mesh(2) as (a, b):
            ids = {a.node.gossip(b"g%d" % i) for i in range(10)}
            assert len(ids) == 10
            a.node.gossip(b"g0")  # a duplicate gossip() call is not re-sent
            await wait_until(lambda: len(b.delivered()) == 10)
            await trio.sleep(0.3)
            assert a.metrics.get("messages_out", "gossip") == 10
            assert b.metrics.get("messages_out", "gossip") == 0  # b has no one else
            assert a.metrics.get("messages_in", "gossip") == 0
            assert not a.delivered()

    trio.run(main)


def test_metrics_count_peers_messages_and_bytes_per_class() -> None:
    async def main() -> None:
        async with mesh(3) as (a, b, c):
            await a.node.send(b.pub, MsgClass.CONSENSUS, b"x" * 100)
            await wait_until(lambda: len(b.delivered()) == 1)
            assert a.metrics.gauges["peers_connected"] == 2
            assert a.metrics.get("messages_out", "consensus") == 1
            assert b.metrics.get("messages_in", "consensus") == 1
            assert (
                b.metrics.get("bytes_in", "consensus")
                == a.metrics.get("bytes_out", "consensus")
                > 100
            )
            assert a.metrics.get("wire_bytes_out") > 100

    trio.run(main)


def test_largest_messages_pass_and_larger_are_refused() -> None:
    big = b"\x5a" * (1 << 20)  # the 1 MiB payload limit

    async def handler(peer: bytes, payload: bytes) -> bytes:
        return big

    async def main() -> None:
        async with mesh(2, handler=handler) as (a, b):
            assert await a.node.request(b.pub, b"snapshot", timeout=20) == big
            await a.node.send(b.pub, MsgClass.CONSENSUS, big)
            await wait_until(lambda: len(b.delivered()) == 1)
            assert b.delivered()[0].payload == big
            try:
                await a.node.send(b.pub, MsgClass.CONSENSUS, big + b"!")
            except MessageTooLarge:
                pass
            else:
                raise AssertionError("oversize payload accepted")
            try:
                await a.node.send(PrivateKey.generate().public.raw, MsgClass.CONSENSUS, b"x")
            except NotConnected:
                pass
            else:
                raise AssertionError("send to an unconnected peer succeeded")

    trio.run(main)


def test_keepalives_hold_an_idle_link_open() -> None:
    limits = with_limits(keepalive_interval=0.1, idle_timeout=1.0)

    async def main() -> None:
        async with mesh(2, limits=limits) as (a, b):
            downs = len(a.downs()), len(b.downs())  # start-up duplicates are settled
            await trio.sleep(2.5)  # several idle timeouts with no upper-layer traffic
            assert a.node.connected_peers() == [b.pub]
            assert (len(a.downs()), len(b.downs())) == downs
            assert a.metrics.get("messages_in", "control") > 0

    trio.run(main)
