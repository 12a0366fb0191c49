"""One Byzantine validator out of four (f = 1), played by the test itself: three honest
`scctn start` processes and, in this process, a p2p node holding validator 0's key (the
primary of view 0). It sends garbage and forged consensus messages and equivocates:
two different, valid blocks pre-prepared for the same (view, seq). The honest nodes
must count every invalid message, change view past it, commit, and agree on every
state root; the block they settle on at seq 1 is the one that 2f of them prepared."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import trio

from consensus import Epoch, InvalidMessage, ReplicaId, Seq, View, batch_digest, decode_message
from consensus.base import Digest
from consensus.messages import (
    Body,
    Checkpoint,
    Commit,
    MsgKind,
    Prepare,
    PrePrepare,
    Signed,
    signing_bytes,
)
from genesis.document import load_genesis
from p2p import Delivered, MsgClass, Node, P2PConfig, PeerSpec, PeerUp
from primitives import codec
from primitives.keys import PrivateKey
from scctn_node.chain.block import decode_block
from scctn_node.chain.chain import Chain
from scctn_node.chain.mempool import MempoolConfig
from scctn_node.chain.store import ChainStore
from scctn_node.storage.kv import MemoryStore
from tests.integration.cluster import CHAIN_ID, Cluster
from tests.integration.nodeproc import NodeProcess
from tests.integration.test_network import submit, transfers, wait_committed

BYZ = 0  # validator 0: the primary of view 0
WAIT = 60.0  # generous bounds on a loaded 2-core machine; nothing here measures time


def signed(key: PrivateKey, sender: int, body: Body, chain_id: str = CHAIN_ID) -> bytes:
    """A message as `sender` would send it, signed by `key` (the right key or not)."""
    signature = key.sign(signing_bytes(chain_id, 0, sender, body))
    return Signed(chain_id, Epoch(0), ReplicaId(sender), body, signature).encode()


def garbage(rng: random.Random) -> list[bytes]:
    """Bytes that are no consensus message at all."""
    out = [rng.randbytes(rng.randrange(1, 600)) for _ in range(20)]
    out.append(rng.randbytes(200_000))
    out.append(codec.encode([1, CHAIN_ID, 0, 0, [0, 1], b"\x00" * 64]))  # wrong shape
    out.append(codec.encode([99, CHAIN_ID, 0, 0, [], b"\x00" * 64]))  # unknown kind
    out.append(b"\x96")  # an array header and nothing else
    return out


def forged(key: PrivateKey, to: int, rng: random.Random) -> list[bytes]:
    """Well-formed messages that no honest replica may accept; `to` is the recipient
    (a message naming the recipient as its sender is ignored, not counted)."""
    other = next(i for i in (1, 2, 3) if i != to)
    d = Digest(rng.randbytes(32))
    stranger = PrivateKey(rng.randbytes(32))
    prepare = Prepare(View(0), Seq(1), d)
    good = signed(key, BYZ, Commit(View(0), Seq(1), d))
    flipped = bytearray(good)
    flipped[-1] ^= 0x01
    return [
        # another honest validator's name with a random signature
        Signed(CHAIN_ID, Epoch(0), ReplicaId(other), prepare, rng.randbytes(64)).encode(),
        signed(key, other, prepare),  # another validator's name, signed with our key
        signed(stranger, BYZ, Commit(View(0), Seq(1), d)),  # our name, a stranger's key
        bytes(flipped),  # our own valid message with one signature bit flipped
        signed(key, BYZ, Checkpoint(Seq(16), d), chain_id="scctn-other"),  # another chain
        signed(key, 7, prepare),  # a sender that is not a validator
        good + b"\x00",  # trailing bytes after a valid message
    ]


class Byzantine:
    """Validator 0's p2p node, run by the test; records what the honest nodes send it."""

    def __init__(self, cluster: Cluster) -> None:
        self.key = cluster.keys[BYZ]
        peers = tuple(
            PeerSpec(k.public.raw, "127.0.0.1", cluster.p2p_ports[i])
            for i, k in enumerate(cluster.keys)
            if i != BYZ
        )
        self.index = {k.public.raw: i for i, k in enumerate(cluster.keys)}
        self.node = Node(
            P2PConfig(self.key, CHAIN_ID, listen_port=cluster.p2p_ports[BYZ], peers=peers),
            request_handler=self._serve,
        )
        self.linked: set[int] = set()
        self.votes: set[tuple[int, int, bytes]] = set()  # (sender, kind, digest) heard

    async def _serve(self, peer: bytes, request: bytes) -> bytes:
        return random.randbytes(300)  # a block-sync answer that is garbage too

    async def listen(self) -> None:
        async for event in self.node.events:
            if isinstance(event, PeerUp):
                self.linked.add(self.index[event.peer])
            elif isinstance(event, Delivered) and event.msg_class == MsgClass.CONSENSUS:
                try:
                    msg = decode_message(event.payload)
                except InvalidMessage as exc:  # an honest node never sends one
                    raise AssertionError(f"undecodable message from an honest node: {exc}") from exc
                body = msg.body
                if isinstance(body, Prepare | Commit):
                    self.votes.add((int(msg.sender), int(body.KIND), bytes(body.digest)))

    async def send(self, to: int, payload: bytes) -> None:
        await self.node.send(self.node_key(to), MsgClass.CONSENSUS, payload)

    def node_key(self, i: int) -> bytes:
        return next(k for k, j in self.index.items() if j == i)


def equivocating_blocks(cluster: Cluster) -> tuple[bytes, bytes]:
    """Two different blocks for height 1, each valid (proposer validator 0, right
    parent, chain and state root), so honest backups accept whichever they are sent."""
    doc = load_genesis(cluster.nodes[1].home / "genesis.json")
    chain = Chain(ChainStore(MemoryStore()), doc, cluster.keys[BYZ].public.raw, MempoolConfig())
    now = int(time.time() * 1000)
    a, b = chain.build_block(now).encode(), chain.build_block(now + 1).encode()
    assert a != b and chain.validate(a) and chain.validate(b)
    return a, b


async def wait_until(what: str, check: Callable[[], bool], timeout: float = WAIT) -> None:
    with trio.move_on_after(timeout):
        while not check():
            await trio.sleep(0.05)
        return
    raise AssertionError(f"timed out waiting for {what}")


def invalid_count(node: NodeProcess) -> int:
    return int(node.get("/v1/status")["consensus"]["invalid_messages"])


def metric(node: NodeProcess, name: str) -> float:
    """The value of one sample line of the node's /metrics (0 if absent)."""
    _, text, _ = node.request("GET", "/metrics")
    body = text.decode() if isinstance(text, bytes) else str(text)
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


async def scenario(cluster: Cluster, byz: Byzantine) -> None:
    honest = {i: n for i, n in enumerate(cluster.nodes) if i != BYZ}
    call = trio.to_thread.run_sync
    # Built before the honest nodes start: their view-0 timer runs from their start, and
    # the equivocating pre-prepares must reach them while view 0 is still current.
    a, b = await call(equivocating_blocks, cluster)
    da, db = batch_digest(a), batch_digest(b)
    await call(cluster.start)
    await wait_until("links to the three honest nodes", lambda: byz.linked == set(honest))

    # (c) equivocation: as primary of view 0, pre-prepare block A at seq 1 to validators
    # 1 and 2 and block B to validator 3. 1 and 2 prepare A (2f prepares: prepared, so
    # they send COMMIT), 3 prepares B; we send no commit, so nothing commits in view 0.
    for i, block in ((1, a), (2, a), (3, b)):
        await byz.send(
            i, signed(byz.key, BYZ, PrePrepare(View(0), Seq(1), batch_digest(block), block))
        )
    commit, prepare = int(MsgKind.COMMIT), int(MsgKind.PREPARE)
    await wait_until(
        "1 and 2 prepared A, 3 prepared B",
        lambda: {(1, commit, da), (2, commit, da), (3, prepare, db)} <= byz.votes,
    )
    before = {i: await call(invalid_count, n) for i, n in honest.items()}
    rng = random.Random(5)

    # (a) garbage and (b) forged messages, to every honest node.
    sent = {}
    for i in honest:
        junk = garbage(rng) + forged(byz.key, i, rng)
        for payload in junk:
            await byz.send(i, payload)
        sent[i] = len(junk)
    for payload in garbage(rng)[:3]:
        byz.node.gossip(payload)  # garbage as transaction gossip as well

    # The honest nodes change view past us, and commit what they are sent.
    hashes = await call(submit, honest[2], transfers(0, 0, 100))
    hashes += await call(submit, honest[3], transfers(1, 0, 100))
    placed = await call(lambda: wait_committed(honest[1], hashes, timeout=WAIT))
    height, _ = await call(lambda: cluster.wait_converged(max(h for h, _ in placed.values()), WAIT))
    for i, node in honest.items():
        status = await call(node.get, "/v1/status")
        assert status["consensus"]["view"] >= 1 and status["consensus"]["primary"] != f"v{BYZ}"
        # the block that 2f honest replicas prepared survives the view change at seq 1
        first = await call(node.get, "/v1/blocks/1?full=false")
        assert first["hash"] == decode_block(a).hash.hex()
        for h in hashes[::25]:
            info = await call(node.get, f"/v1/txs/{h}")
            assert (info["height"], info["index"]) == placed[h]
        # every garbage and forged message was refused and counted once, and nothing
        # else was (the equivocating pre-prepares are validly signed); the node still runs
        assert status["consensus"]["invalid_messages"] - before[i] == sent[i]
        assert node.proc is not None and node.proc.poll() is None
        # and it reached the node through p2p as consensus traffic (see /metrics)
        seen = await call(metric, node, 'scctn_p2p_messages_in_total{kind="consensus"}')
        assert seen >= sent[i]
        # the refusals show in the node's own metrics too
        refused = await call(metric, node, "scctn_consensus_invalid_messages_total")
        assert refused == status["consensus"]["invalid_messages"]
    assert height >= 1


def test_byzantine_primary_garbage_forgery_and_equivocation_are_tolerated(
    tmp_path: Path,
) -> None:
    # backups wait 4 s for the primary, so view 0 outlasts a slow start on a loaded machine
    cluster = Cluster(tmp_path, 4, external={BYZ}, base_timeout_ms=4000)
    byz = Byzantine(cluster)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(byz.node.run)
            nursery.start_soon(byz.listen)
            try:
                await scenario(cluster, byz)
            finally:
                await trio.to_thread.run_sync(cluster.stop)
                nursery.cancel_scope.cancel()

    trio.run(main)
