"""Shared helpers for the p2p integration tests: in-process meshes on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace

import trio

from p2p import CounterMetrics, Limits, Node, P2PConfig, PeerSpec
from p2p.events import Delivered, Event, PeerDown, PeerUp
from p2p.node import RequestHandler
from primitives.keys import PrivateKey

CHAIN = "scctn-test"
LIVENESS = 30.0  # generous: the machine is shared; nothing here is a timing assertion

FAST = Limits(
    handshake_timeout=2.0,
    keepalive_interval=0.5,
    idle_timeout=3.0,
    send_timeout=3.0,
    backoff_base=0.05,
    backoff_max=0.5,
)


@dataclass
class Harness:
    node: Node
    key: PrivateKey
    metrics: CounterMetrics
    events: list[Event] = field(default_factory=list)

    @property
    def pub(self) -> bytes:
        return self.key.public.raw

    def delivered(self) -> list[Delivered]:
        return [e for e in self.events if isinstance(e, Delivered)]

    def downs(self) -> list[PeerDown]:
        return [e for e in self.events if isinstance(e, PeerDown)]

    def ups(self) -> list[PeerUp]:
        return [e for e in self.events if isinstance(e, PeerUp)]


async def wait_until(pred: Callable[[], bool], timeout: float = LIVENESS) -> None:
    with trio.fail_after(timeout):
        while not pred():
            await trio.sleep(0.01)


async def _collect(h: Harness) -> None:
    async for ev in h.node.events:
        h.events.append(ev)


async def start_node(
    nursery: trio.Nursery,
    key: PrivateKey | None = None,
    limits: Limits = FAST,
    handler: RequestHandler | None = None,
    peers: Sequence[PeerSpec] = (),
    observers: Sequence[bytes] = (),
    port: int = 0,
) -> Harness:
    key = key or PrivateKey.generate()
    metrics = CounterMetrics()
    cfg = P2PConfig(
        identity=key,
        chain_id=CHAIN,
        listen_port=port,
        peers=tuple(peers),
        observers=tuple(observers),
        limits=limits,
    )
    h = Harness(Node(cfg, request_handler=handler, metrics=metrics), key, metrics)
    await nursery.start(h.node.run)
    nursery.start_soon(_collect, h)
    return h


def spec(h: Harness) -> PeerSpec:
    assert h.node.port is not None
    return PeerSpec(h.pub, "127.0.0.1", h.node.port)


@contextlib.asynccontextmanager
async def mesh(
    n: int, limits: Limits = FAST, handler: RequestHandler | None = None
) -> AsyncIterator[list[Harness]]:
    """n fully connected nodes; cancelled on exit."""
    async with trio.open_nursery() as nursery:
        hs = [await start_node(nursery, limits=limits, handler=handler) for _ in range(n)]
        specs = [spec(h) for h in hs]
        for h in hs:
            h.node.update_peers(specs)
        await wait_until(lambda: all(_settled(h, n) for h in hs))
        yield hs
        nursery.cancel_scope.cancel()


def _settled(h: Harness, n: int) -> bool:
    """Linked to all n-1 peers, each by the link that survives simultaneous dials (the
    one initiated by the smaller key), so no replacement can happen later."""
    links = h.node.dialled_by_us()
    return len(links) == n - 1 and all(ours == (h.pub < p) for p, ours in links.items())


def with_limits(**kw: object) -> Limits:
    return replace(FAST, **kw)  # type: ignore[arg-type]
