"""p2p benchmarks: one encrypted link between two processes, and gossip over 4 and 8 nodes.

    python -m p2p.bench [--messages N] [--size BYTES] [--gossip-messages N]

`run()` returns the figures as a dict (the node's `scctn bench p2p` prints them):

- link_msgs_per_s: CONSENSUS messages of `size` bytes from this process to a child
  process over loopback through one authenticated, encrypted link, counted from the
  first send until the child reports the last delivery.
- gossip_{n}_delivered: fraction of (message, node) deliveries that happened
  (1.0 = every node got every message); gossip_{n}_p50_ms / _p99_ms: latency from
  `gossip()` at the origin to delivery at each other node, with messages offered at
  `gossip_rate` per second spread over the nodes; gossip_{n}_msgs_per_s: messages
  delivered per node per second over the whole run. By default each gossip node is a
  process of its own (bench_gossip.py); `--gossip-in-process` runs all n in this
  process on one core instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import trio

from p2p.bench_gossip import percentile_ms, run_processes
from p2p.config import Limits, P2PConfig, PeerSpec
from p2p.envelope import MsgClass
from p2p.events import Delivered, PeerDown
from p2p.node import Node
from primitives.keys import PrivateKey

CHAIN = "scctn-bench"
LIMITS = Limits(
    rate_per_sec=1e12,
    rate_burst=1e12,
    consensus_queue=16_384,
    gossip_queue=65_536,
    inbound_queue=65_536,
    seen_cache_size=1_000_000,
)
DONE = b"\x00done"


async def _sink(seed: bytes, peer: bytes, count: int) -> None:
    cfg = P2PConfig(PrivateKey(seed), CHAIN, peers=(PeerSpec(peer),), limits=LIMITS)
    node = Node(cfg)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(node.run)
        print(port, flush=True)
        got = 0
        while got < count:
            ev = await node.events.receive()
            got += isinstance(ev, Delivered)
            while got < count:  # drain without a checkpoint per message
                try:
                    ev = node.events.receive_nowait()
                except trio.WouldBlock:
                    break
                got += isinstance(ev, Delivered)
        await node.send(peer, MsgClass.CONSENSUS, DONE)
        with trio.move_on_after(10):
            async for ev in node.events:
                if isinstance(ev, PeerDown):
                    break
        nursery.cancel_scope.cancel()


def _child_env() -> dict[str, str]:
    # the child must import this very p2p package, whatever the caller's cwd
    root = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def bench_link(messages: int = 200_000, size: int = 200) -> float:
    """Messages per second through one encrypted link between two processes."""
    parent = PrivateKey.generate()
    child = PrivateKey.generate()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "p2p.bench",
            "--sink",
            child.seed.hex(),
            parent.public.raw.hex(),
            str(messages),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        # the parent's identity must be the one the child permits
        return trio.run(_source_with, parent, child.public.raw, port, messages, size)
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


async def _source_with(me: PrivateKey, child_key: bytes, port: int, n: int, size: int) -> float:
    cfg = P2PConfig(me, CHAIN, peers=(PeerSpec(child_key, "127.0.0.1", port),), limits=LIMITS)
    return await _drive(Node(cfg), child_key, n, size)


async def _drive(node: Node, child_key: bytes, messages: int, size: int) -> float:
    payload = b"\xab" * size
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        with trio.fail_after(30):
            while not node.connected_peers():
                await trio.sleep(0.005)
        start = time.perf_counter()
        for _ in range(messages):
            await node.send(child_key, MsgClass.CONSENSUS, payload)
        with trio.fail_after(300):
            async for ev in node.events:
                if isinstance(ev, Delivered) and ev.payload == DONE:
                    break
        elapsed = time.perf_counter() - start
        nursery.cancel_scope.cancel()
    return messages / elapsed


async def _connect_mesh(nursery: trio.Nursery, nodes: list[Node]) -> None:
    for node in nodes:
        await nursery.start(node.run)
    specs = [PeerSpec(nd.identity, "127.0.0.1", nd.port) for nd in nodes]
    for node in nodes:
        node.update_peers(specs)
    with trio.fail_after(60):
        while not all(len(nd.connected_peers()) == len(nodes) - 1 for nd in nodes):
            await trio.sleep(0.01)


async def _offer(nodes: list[Node], messages: int, size: int, rate: float) -> dict[bytes, float]:
    """Gossip `messages` from the nodes in turn at `rate` per second; the send times."""
    sent_at: dict[bytes, float] = {}
    filler = b"\x00" * max(0, size - 8)
    t0 = trio.current_time()
    for i in range(messages):
        tag = i.to_bytes(8, "big")
        sent_at[tag] = time.perf_counter()
        nodes[i % len(nodes)].gossip(tag + filler)
        await trio.sleep_until(t0 + (i + 1) / rate)
    return sent_at


async def _gossip_mesh(n: int, messages: int, size: int, rate: float) -> dict[str, float]:
    nodes = [Node(P2PConfig(PrivateKey.generate(), CHAIN, limits=LIMITS)) for _ in range(n)]
    arrivals: list[tuple[bytes, float]] = []
    expected = messages * (n - 1)
    all_in = trio.Event()

    async def consume(node: Node) -> None:
        async for ev in node.events:
            if isinstance(ev, Delivered) and ev.msg_class == MsgClass.GOSSIP:
                arrivals.append((ev.payload[:8], time.perf_counter()))
                if len(arrivals) == expected:
                    all_in.set()

    async with trio.open_nursery() as nursery:
        for node in nodes:
            nursery.start_soon(consume, node)
        await _connect_mesh(nursery, nodes)
        start = time.perf_counter()
        sent_at = await _offer(nodes, messages, size, rate)
        with trio.move_on_after(120):
            await all_in.wait()
        elapsed = time.perf_counter() - start
        nursery.cancel_scope.cancel()
    latencies = sorted(t - sent_at[tag] for tag, t in arrivals)
    return {
        f"gossip_{n}_delivered": len(arrivals) / expected,
        f"gossip_{n}_p50_ms": percentile_ms(latencies, 0.50),
        f"gossip_{n}_p99_ms": percentile_ms(latencies, 0.99),
        f"gossip_{n}_offered_per_s": rate,
        f"gossip_{n}_msgs_per_s": len(arrivals) / (n - 1) / elapsed,
    }


def run(
    messages: int = 200_000,
    size: int = 200,
    gossip_nodes: tuple[int, ...] = (4, 8),
    gossip_messages: int = 5_000,
    gossip_rate: float = 500.0,
    gossip_processes: bool = True,
) -> dict[str, float]:
    """All figures; gossip nodes run one per process unless `gossip_processes` is False."""
    out = {"link_msgs_per_s": bench_link(messages, size)}
    for n in gossip_nodes:
        if gossip_processes:
            out.update(run_processes(n, gossip_messages, size, gossip_rate, _child_env()))
        else:
            out.update(trio.run(_gossip_mesh, n, gossip_messages, size, gossip_rate))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m p2p.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--gossip-messages", type=int, default=5_000)
    ap.add_argument("--gossip-rate", type=float, default=500.0, help="offered messages/s")
    ap.add_argument(
        "--gossip-in-process", action="store_true", help="all gossip nodes in this process"
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--sink", nargs=3, metavar=("SEED", "PEER", "COUNT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.sink:
        seed, peer, count = args.sink
        trio.run(_sink, bytes.fromhex(seed), bytes.fromhex(peer), int(count))
        return
    figures = run(
        args.messages,
        args.size,
        gossip_messages=args.gossip_messages,
        gossip_rate=args.gossip_rate,
        gossip_processes=not args.gossip_in_process,
    )
    if args.json:
        print(json.dumps(figures))
        return
    for name, value in figures.items():
        print(f"{name:28s} {value:14,.3f}")


if __name__ == "__main__":
    main()
