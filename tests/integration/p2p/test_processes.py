"""Nodes in separate processes over loopback: handshake, identity, permissioning,
reconnect after the far side restarts, gossip exactly once per node."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from p2p import MsgClass, PeerSpec
from primitives.keys import PrivateKey
from tests.integration.p2p.helpers import Harness, start_node, wait_until

ROOT = Path(__file__).resolve().parents[3]


_RUNNING: list[trio.Process] = []


@pytest.fixture(autouse=True)
def _reap_children() -> Iterator[None]:
    """A failed test still kills and reaps every child it started."""
    yield
    while _RUNNING:
        proc = _RUNNING.pop()
        if proc.returncode is None:
            proc.kill()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(Exception):
                    trio.run(pipe.aclose)
        with contextlib.suppress(Exception):
            os.waitpid(proc.pid, 0)


class ProcNode:
    """A node_proc child: commands in, JSON events out."""

    def __init__(self, proc: trio.Process, key: PrivateKey) -> None:
        self.proc = proc
        self.key = key
        self.lines: list[dict[str, Any]] = []
        self.port = 0
        self._buf = b""
        self._eof = trio.Event()

    @property
    def pub(self) -> bytes:
        return self.key.public.raw

    @classmethod
    async def start(
        cls, nursery: trio.Nursery, key: PrivateKey | None = None, port: int = 0
    ) -> ProcNode:
        key = key or PrivateKey.generate()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = await trio.lowlevel.open_process(
            [sys.executable, "-m", "tests.integration.p2p.node_proc", key.seed.hex(), str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        _RUNNING.append(proc)
        node = cls(proc, key)
        nursery.start_soon(node._read)
        await wait_until(lambda: bool(node.port))
        return node

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            data = await self.proc.stdout.receive_some(65536)
            if not data:
                self._eof.set()
                return
            self._buf += data
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                msg = json.loads(line)
                if "port" in msg:
                    self.port = msg["port"]
                self.lines.append(msg)

    async def command(self, **cmd: object) -> None:
        assert self.proc.stdin is not None
        await self.proc.stdin.send_all(json.dumps(cmd).encode() + b"\n")

    def spec(self) -> PeerSpec:
        return PeerSpec(self.pub, "127.0.0.1", self.port)

    def delivered(self) -> list[bytes]:
        return [bytes.fromhex(m["delivered"]) for m in self.lines if "delivered" in m]

    def ups(self) -> list[str]:
        return [m["up"] for m in self.lines if "up" in m]

    async def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        elif self.proc.stdin is not None:
            await self.proc.stdin.aclose()
        with trio.move_on_after(20):
            await self.proc.wait()
        self.proc.kill()
        await self.proc.wait()
        with trio.move_on_after(20):
            await self._eof.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                await pipe.aclose()


def _peer_cmd(specs: list[PeerSpec]) -> list[list[object]]:
    return [
        [s.public_key.hex(), s.host, s.port] if s.dialable else [s.public_key.hex()] for s in specs
    ]


def test_handshake_messages_requests_and_permissioning_across_processes() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            b = await ProcNode.start(nursery)
            a: Harness = await start_node(nursery, peers=[b.spec()])
            await b.command(peers=_peer_cmd([PeerSpec(a.pub)]))
            await wait_until(lambda: a.node.connected_peers() == [b.pub])
            await wait_until(lambda: b.ups() == [a.pub.hex()])
            await a.node.send(b.pub, MsgClass.CONSENSUS, b"to-b")
            await wait_until(lambda: b.delivered() == [b"to-b"])
            await b.command(send=[a.pub.hex(), int(MsgClass.CONSENSUS), b"to-a".hex()])
            await wait_until(lambda: [d.payload for d in a.delivered()] == [b"to-a"])
            assert await a.node.request(b.pub, b"snap", timeout=20) == b"echo:snap"
            # a stranger process dials a and is refused after the handshake
            c = await ProcNode.start(nursery)
            await c.command(peers=_peer_cmd([PeerSpec(a.pub, "127.0.0.1", a.node.port)]))
            await wait_until(lambda: a.metrics.get("handshake_failures", "not_permitted") >= 1)
            assert a.node.connected_peers() == [b.pub]
            await c.stop()
            await b.stop()
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_reconnect_after_the_far_side_restarts() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            key = PrivateKey.generate()
            b = await ProcNode.start(nursery, key)
            port = b.port
            a = await start_node(nursery, peers=[b.spec()])
            await b.command(peers=_peer_cmd([PeerSpec(a.pub)]))
            await wait_until(lambda: a.node.connected_peers() == [b.pub])
            await b.stop(kill=True)
            await wait_until(lambda: a.node.connected_peers() == [])
            await wait_until(lambda: [d.peer for d in a.downs()] == [b.pub])
            b2 = await ProcNode.start(nursery, key, port)  # same identity, same address
            await b2.command(peers=_peer_cmd([PeerSpec(a.pub)]))
            await wait_until(lambda: a.node.connected_peers() == [b2.pub])
            await a.node.send(b2.pub, MsgClass.CONSENSUS, b"again")
            await wait_until(lambda: b2.delivered() == [b"again"])
            # every link-up is to b, and all but the live one went down again (a
            # simultaneous dial from both sides may add an up/down pair)
            assert {u.peer for u in a.ups()} == {b.pub}
            assert len(a.ups()) >= 2
            await wait_until(lambda: len(a.ups()) - len(a.downs()) == 1)
            await b2.stop()
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_gossip_across_processes_reaches_each_node_exactly_once() -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            procs = [await ProcNode.start(nursery) for _ in range(3)]
            a = await start_node(nursery)
            specs = [p.spec() for p in procs] + [PeerSpec(a.pub, "127.0.0.1", a.node.port)]
            a.node.update_peers(specs)
            for p in procs:
                await p.command(peers=_peer_cmd(specs))
            await wait_until(lambda: len(a.node.connected_peers()) == 3)
            await wait_until(lambda: all(len(set(p.ups())) == 3 for p in procs))
            msgs = [b"tx-a-%d" % i for i in range(20)]
            for m in msgs:
                a.node.gossip(m)
            from_p0 = [b"tx-p0-%d" % i for i in range(20)]
            for m in from_p0:
                await procs[0].command(gossip=m.hex())
            every = set(msgs + from_p0)
            await wait_until(
                lambda: all(
                    set(p.delivered()) == every - set(from_p0)
                    if i == 0
                    else set(p.delivered()) == every
                    for i, p in enumerate(procs)
                )
            )
            await wait_until(lambda: {d.payload for d in a.delivered()} == set(from_p0))
            await trio.sleep(0.5)  # a late duplicate would arrive now
            for p in procs:
                assert len(p.delivered()) == len(set(p.delivered()))
            assert len(a.delivered()) == len(from_p0)
            for p in procs:
                await p.stop()
            nursery.cancel_scope.cancel()

    trio.run(main)
