"""Gossip benchmark with one node per process (used by p2p.bench).

The parent starts n children (`python -m p2p.bench_gossip SEED_HEX`), each a Node
on loopback. Protocol over the children's stdin/stdout, one JSON object per line:

    child  -> {"port": p}
    parent -> {"peers": [[pub_hex, port], ...], "first": i, "step": n, "count": m,
               "rate": r, "size": s, "expected": e}
    child  -> {"ready": true}            once linked to every other node
    parent -> {"go": true}
    child  -> {"latencies": [...], "delivered": d}   after e deliveries (or 120 s)

Each child gossips message ids first, first+step, ... at r/n per second; a payload
starts with its id and the send time (time.perf_counter, CLOCK_MONOTONIC on Linux,
shared by all processes), so the receiver computes the latency directly.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import trio

from p2p.config import Limits, P2PConfig, PeerSpec
from p2p.events import Delivered
from p2p.node import Node
from primitives.keys import PrivateKey

STAMP = struct.Struct(">Qd")
CHAIN = "scctn-bench"
LIMITS = Limits(rate_per_sec=1e12, rate_burst=1e12, gossip_queue=65_536, inbound_queue=65_536)


@dataclass(frozen=True, slots=True)
class _Plan:
    peers: list[tuple[str, int]]
    first: int
    step: int
    count: int
    rate: float
    size: int
    expected: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> _Plan:
        peers = [(str(k), int(p)) for k, p in d["peers"]]
        return cls(
            peers,
            int(d["first"]),
            int(d["step"]),
            int(d["count"]),
            float(d["rate"]),
            int(d["size"]),
            int(d["expected"]),
        )


async def _lines(
    stream: trio.abc.ReceiveStream, out: trio.MemorySendChannel[dict[str, Any]]
) -> None:
    buf = b""
    async with out:
        while data := await stream.receive_some(65536):
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                await out.send(json.loads(line))


def _say(obj: object) -> None:
    print(json.dumps(obj), flush=True)


async def _child(seed: bytes) -> None:
    node = Node(P2PConfig(PrivateKey(seed), CHAIN, limits=LIMITS))
    send, commands = trio.open_memory_channel[dict[str, Any]](16)
    latencies: list[float] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_lines, trio.lowlevel.FdStream(0), send)
        _say({"port": await nursery.start(node.run)})
        plan = _Plan.from_json(await commands.receive())
        node.update_peers(PeerSpec(bytes.fromhex(k), "127.0.0.1", p) for k, p in plan.peers)
        while len(node.connected_peers()) < len(plan.peers) - 1:
            await trio.sleep(0.01)
        _say({"ready": True})
        await commands.receive()  # go
        all_in = trio.Event()

        async def consume() -> None:
            async for ev in node.events:
                if isinstance(ev, Delivered):
                    latencies.append(time.perf_counter() - STAMP.unpack_from(ev.payload)[1])
                    if len(latencies) == plan.expected:
                        all_in.set()

        nursery.start_soon(consume)
        await _offer(node, plan)
        with trio.move_on_after(120):
            await all_in.wait()
        _say({"latencies": latencies, "delivered": len(latencies)})
        async for _ in commands:  # until the parent closes our stdin
            pass
        nursery.cancel_scope.cancel()


async def _offer(node: Node, plan: _Plan) -> None:
    filler = b"\x00" * max(0, plan.size - STAMP.size)
    rate = plan.rate / plan.step
    t0 = trio.current_time()
    for k in range(plan.count):
        node.gossip(STAMP.pack(plan.first + k * plan.step, time.perf_counter()) + filler)
        await trio.sleep_until(t0 + (k + 1) / rate)


def _tell(p: subprocess.Popen[str], obj: object) -> None:
    assert p.stdin is not None
    p.stdin.write(json.dumps(obj) + "\n")
    p.stdin.flush()


def _hear(p: subprocess.Popen[str]) -> dict[str, Any]:
    assert p.stdout is not None
    line = p.stdout.readline()
    if not line:
        raise RuntimeError("a gossip benchmark node exited early")
    return dict(json.loads(line))


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        if p.stdin is not None:
            p.stdin.close()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if p.stdout is not None:
            p.stdout.close()


def run_processes(
    n: int, messages: int, size: int, rate: float, env: dict[str, str]
) -> dict[str, float]:
    """Gossip over n single-node processes; the same figures as the in-process run."""
    keys = [PrivateKey.generate() for _ in range(n)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "p2p.bench_gossip", k.seed.hex()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for k in keys
    ]
    try:
        ports = [int(_hear(p)["port"]) for p in procs]
        peers = [[k.public.raw.hex(), port] for k, port in zip(keys, ports, strict=True)]
        for i, p in enumerate(procs):
            count = len(range(i, messages, n))
            plan = {
                "peers": peers,
                "first": i,
                "step": n,
                "count": count,
                "rate": rate,
                "size": size,
                "expected": messages - count,
            }
            _tell(p, plan)
        for p in procs:
            _hear(p)  # ready
        start = time.perf_counter()
        for p in procs:
            _tell(p, {"go": True})
        reports = [_hear(p) for p in procs]
        elapsed = time.perf_counter() - start
    finally:
        _stop(procs)
    latencies = sorted(float(x) for r in reports for x in r["latencies"])
    delivered = sum(int(r["delivered"]) for r in reports)
    return {
        f"gossip_{n}_delivered": delivered / (messages * (n - 1)),
        f"gossip_{n}_p50_ms": percentile_ms(latencies, 0.50),
        f"gossip_{n}_p99_ms": percentile_ms(latencies, 0.99),
        f"gossip_{n}_offered_per_s": rate,
        f"gossip_{n}_msgs_per_s": delivered / (n - 1) / elapsed,
    }


def percentile_ms(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return 1000 * sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


if __name__ == "__main__":
    trio.run(_child, bytes.fromhex(sys.argv[1]))
