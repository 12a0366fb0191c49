"""A p2p node in its own process, driven by JSON lines (for the multi-process tests).

    python -m tests.integration.p2p.node_proc SEED_HEX PORT

Prints {"port": ..., "pub": ...} once listening, then one JSON line per event:
{"up": pub}, {"down": pub, "code": ...}, {"delivered": payload_hex, "from": pub,
"class": n}. Reads commands on stdin, one per line:
{"peers": [[pub, host, port] or [pub]], "observers": [pub]}, {"gossip": hex},
{"send": [pub, class, hex]}. EOF on stdin stops the node. Requests are answered with
b"echo:" + payload.
"""

from __future__ import annotations

import json
import sys

import trio

from p2p import MsgClass, Node, P2PConfig, PeerSpec
from p2p.events import Delivered, PeerDown, PeerUp
from primitives.keys import PrivateKey
from tests.integration.p2p.helpers import CHAIN, FAST


def _emit(obj: object) -> None:
    print(json.dumps(obj), flush=True)


async def _echo(peer: bytes, payload: bytes) -> bytes:
    return b"echo:" + payload


def _spec(item: list[object]) -> PeerSpec:
    if len(item) == 1:
        return PeerSpec(bytes.fromhex(str(item[0])))
    return PeerSpec(bytes.fromhex(str(item[0])), str(item[1]), int(str(item[2])))


async def _commands(node: Node) -> None:
    stdin = trio.lowlevel.FdStream(0)
    buf = b""
    while True:
        data = await stdin.receive_some(65536)
        if not data:
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            cmd = json.loads(line)
            if "peers" in cmd:
                node.update_peers(
                    [_spec(p) for p in cmd["peers"]],
                    [bytes.fromhex(o) for o in cmd.get("observers", [])],
                )
            elif "gossip" in cmd:
                node.gossip(bytes.fromhex(cmd["gossip"]))
            elif "send" in cmd:
                pub, cls, payload = cmd["send"]
                await node.send(bytes.fromhex(pub), MsgClass(cls), bytes.fromhex(payload))


async def main(seed: bytes, port: int) -> None:
    key = PrivateKey(seed)
    node = Node(P2PConfig(key, CHAIN, listen_port=port, limits=FAST), request_handler=_echo)
    async with trio.open_nursery() as nursery:
        bound = await nursery.start(node.run)
        _emit({"port": bound, "pub": key.public.raw.hex()})

        async def events() -> None:
            async for ev in node.events:
                if isinstance(ev, PeerUp):
                    _emit({"up": ev.peer.hex()})
                elif isinstance(ev, PeerDown):
                    _emit({"down": ev.peer.hex(), "code": ev.code})
                elif isinstance(ev, Delivered):
                    _emit(
                        {
                            "delivered": ev.payload.hex(),
                            "from": ev.peer.hex(),
                            "class": ev.msg_class,
                        }
                    )

        nursery.start_soon(events)
        await _commands(node)
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(main, bytes.fromhex(sys.argv[1]), int(sys.argv[2]))
