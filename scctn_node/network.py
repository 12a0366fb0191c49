"""The node's side of the p2p layer: consensus messages to validators, transaction
gossip, and block sync, over `p2p.Node`.

- Consensus sends never block the consensus driver: each validator has a bounded outbox
  drained by its own task; when an outbox is full or a link is down the message is
  dropped and counted, and PBFT's STATUS retransmission recovers it.
- Transactions admitted through this node's API are gossiped in batches (one msgpack
  array of raw transactions per gossip message); gossip received from peers is admitted
  through the same path as the API, without gossiping it again (p2p floods it on).
- Block sync serves *certified payloads*: for each height the committed payload bytes
  (or nil for a null batch) and its PBFT commit certificate. A catching-up node checks
  the certificate and then derives the block with the same deterministic rule as every
  replica (`Chain.block_for`), so a peer cannot hand it a different block.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Awaitable, Callable

import msgpack
import trio

from consensus.base import batch_digest
from consensus.certificates import CommitCertificate
from p2p import (
    Delivered,
    Limits,
    MsgClass,
    Node,
    P2PConfig,
    P2PError,
    PeerDown,
    PeerSpec,
    PeerUp,
    PrometheusMetrics,
)
from p2p.errors import MessageTooLarge
from primitives import codec
from primitives.errors import DecodeError
from primitives.keys import PrivateKey
from scctn_node.chain.block import FILLER_PROPOSER
from scctn_node.chain.chain import Chain
from scctn_node.config import Config, parse_peer
from scctn_node.consensus_driver import ConsensusDriver, NoTransport, Transport
from scctn_node.errors import ConfigError
from scctn_node.service import NodeService
from scctn_node.snapshots import SnapshotServer, is_error

log = logging.getLogger("scctn.network")

OUTBOX = 4_096
P2P_MAX_PAYLOAD = 8 * 1024 * 1024  # view changes carry prepared blocks (see chain.py)
GOSSIP_FLUSH_S = 0.02
GOSSIP_MAX_BYTES = 512 * 1024
SYNC_MAX_BYTES = 768 * 1024
SYNC_MAX_BLOCKS = 256


class P2PTransport:
    """`consensus_driver.Transport` over p2p: one bounded outbox and sender task per
    validator key (created on first use, so validators that join later are reached)."""

    def __init__(self, node: Node, me: bytes) -> None:
        self.node = node
        self.me = me
        self._outboxes: dict[bytes, trio.MemorySendChannel[bytes]] = {}
        self._nursery: trio.Nursery | None = None
        self.dropped = 0

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    async def _drain(self, key: bytes, recv: trio.MemoryReceiveChannel[bytes]) -> None:
        async for data in recv:
            try:
                await self.node.send(key, MsgClass.CONSENSUS, data)
            except MessageTooLarge:
                self.dropped += 1
                log.error("a consensus message of %d bytes exceeds the p2p limit", len(data))
            except P2PError:
                self.dropped += 1  # link down or reset: PBFT retransmits

    async def send(self, key: bytes, data: bytes) -> None:
        if key == self.me or self._nursery is None:
            return
        outbox = self._outboxes.get(key)
        if outbox is None:
            outbox, recv = trio.open_memory_channel[bytes](OUTBOX)
            self._outboxes[key] = outbox
            self._nursery.start_soon(self._drain, key, recv)
        try:
            outbox.send_nowait(data)
        except trio.WouldBlock:
            self.dropped += 1


class TxGossip:
    """Batches newly admitted transactions into gossip messages."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._pending: list[bytes] = []
        self._size = 0
        self._wake = trio.Event()

    def add(self, items: list[tuple[bytes, bytes]]) -> None:
        for _, raw in items:
            self._pending.append(raw)
            self._size += len(raw)
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            await trio.sleep(GOSSIP_FLUSH_S)
            pending, self._pending, self._size = self._pending, [], 0
            batch: list[bytes] = []
            size = 0
            for raw in pending:
                if batch and size + len(raw) > GOSSIP_MAX_BYTES:
                    self.node.gossip(msgpack.packb(batch))
                    batch, size = [], 0
                batch.append(raw)
                size += len(raw)
            if batch:
                self.node.gossip(msgpack.packb(batch))


REBROADCAST_S = 1.0
REBROADCAST_MAX = 2_000


async def rebroadcast(network: Network, chain: Chain) -> None:
    """Gossip can be shed, and a peer may be cut off when it floods: every second, send
    the transactions still pending since the last round straight to every linked peer
    (a direct message, which the seen-cache of the flood does not drop). Peers that
    already hold them answer "known" cheaply; a primary that never heard of them gets
    them within a second or two."""
    assert network.node is not None
    previous: set[bytes] = set()
    while True:
        await trio.sleep(REBROADCAST_S)
        waiting = chain.mempool.oldest(REBROADCAST_MAX)
        stale = [raw for tx_hash, raw in waiting if tx_hash in previous]
        previous = {tx_hash for tx_hash, _ in waiting}
        if not stale:
            continue
        payloads = []
        batch: list[bytes] = []
        size = 0
        for raw in stale:
            if batch and size + len(raw) > GOSSIP_MAX_BYTES:
                payloads.append(msgpack.packb(batch))
                batch, size = [], 0
            batch.append(raw)
            size += len(raw)
        payloads.append(msgpack.packb(batch))
        for peer in sorted(network.linked):
            for payload in payloads:
                try:
                    await network.node.send(peer, MsgClass.GOSSIP, payload)
                except P2PError:
                    break


def decode_gossip(payload: bytes) -> list[bytes]:
    try:
        items = msgpack.unpackb(payload, raw=False, max_array_len=100_000)
    except Exception:  # garbage from a peer: nothing to admit
        return []
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, bytes)]


# ------------------------------------------------------------------ block sync


def sync_request(start: int, count: int) -> bytes:
    return codec.encode(["blocks", start, count])


def serve_sync(chain: Chain, request: bytes) -> bytes:
    """Answer `["blocks", start, count]` with `[[payload | nil, certificate], ...]`."""
    try:
        f = codec.expect_list(codec.decode(request), 3, what="sync request")
        if f[0] != "blocks":
            raise DecodeError("unknown sync request")
        start = codec.expect_int(f[1], 1, what="start")
        count = codec.expect_int(f[2], 1, SYNC_MAX_BLOCKS, what="count")
    except DecodeError:
        return codec.encode([])
    out: list[object] = []
    size = 0
    for height in range(start, min(start + count, chain.height + 1)):
        block = chain.store.block(height)
        cert = chain.store.commit_of(height)
        if block is None or cert is None:
            break
        payload = (
            chain.store.original_payload(height)
            if block.header.proposer == FILLER_PROPOSER
            else block.encode()
        )
        size += len(payload or b"") + 512
        if out and size > SYNC_MAX_BYTES:
            break
        out.append([payload, cert.to_wire()])
    return codec.encode(out)


def parse_sync_answer(answer: bytes) -> list[tuple[bytes | None, CommitCertificate]]:
    """Decode a sync answer; raises DecodeError for anything malformed."""
    items = codec.expect_seq(codec.decode(answer), max_len=SYNC_MAX_BLOCKS, what="sync answer")
    out = []
    for item in items:
        pair = codec.expect_list(item, 2, what="synced block")
        payload = None if pair[0] is None else codec.expect_bytes(pair[0], what="payload")
        cert = CommitCertificate.from_wire(pair[1])
        if cert.digest != batch_digest(payload):
            raise DecodeError("synced payload does not match its certificate")
        out.append((payload, cert))
    return out


async def pump_events(
    node: Node,
    on_consensus: Callable[[bytes], bool],
    on_gossip: Callable[[list[bytes]], Awaitable[None]],
    on_peer: Callable[[bytes, bool], None],
    on_heard: Callable[[bytes], None] = lambda peer: None,
) -> None:
    """Route p2p events to the consensus driver, the mempool and the status page."""
    async with trio.open_nursery() as nursery:
        limiter = trio.CapacityLimiter(4)

        async def admit(raws: list[bytes]) -> None:
            async with limiter:
                await on_gossip(raws)

        async for event in node.events:
            if isinstance(event, Delivered):
                on_heard(event.peer)
                if event.msg_class == MsgClass.CONSENSUS:
                    on_consensus(event.payload)
                elif event.msg_class == MsgClass.GOSSIP:
                    raws = decode_gossip(event.payload)
                    if raws:
                        nursery.start_soon(admit, raws)
            elif isinstance(event, PeerUp):
                on_peer(event.peer, True)
            elif isinstance(event, PeerDown):
                on_peer(event.peer, False)


class Network:
    """What the node runs of the network: the p2p node (None for a lone validator), the
    consensus transport, transaction gossip, and which peers are linked."""

    def __init__(self, chain: Chain, node: Node | None, transport: P2PTransport | None) -> None:
        self.chain = chain
        self.node = node
        self.p2p_transport = transport
        self.linked: set[bytes] = set()
        self.heard: dict[bytes, float] = {}  # peer -> wall time of its last message
        self.driver: ConsensusDriver | None = None
        self.snapshots: SnapshotServer | None = None

    @property
    def transport(self) -> Transport:
        return self.p2p_transport if self.p2p_transport is not None else NoTransport()

    def attach(self, driver: ConsensusDriver) -> None:
        self.driver = driver
        if self.node is not None:
            driver.blocks = self
            driver.snapshots = self.snapshots
            driver.quorum_linked = self.quorum_linked

    def quorum_linked(self) -> bool:
        """Links to at least 2f other validators: with this node, a commit quorum."""
        assert self.driver is not None
        replica = self.driver.replica
        if replica is None:
            return False
        validators = replica.validators
        others = set(validators.keys) - {self.driver.key.public.raw}
        return len(self.linked & others) >= validators.quorum - 1

    async def fetch_snapshot_part(self, request: list[object]) -> bytes | None:
        """A manifest or chunk from the first linked peer that has it."""
        assert self.node is not None
        for peer in sorted(self.linked):
            try:
                answer = await self.node.request(peer, codec.encode(request), 20.0)
            except P2PError as exc:
                log.info("snapshot request to %s failed: %s", peer.hex()[:16], exc)
                continue
            if is_error(answer) is None:
                return answer
        return None

    async def fetch(self, start: int, count: int) -> list[tuple[bytes | None, CommitCertificate]]:
        """Certified payloads from a linked validator (tried in turn until one answers)."""
        assert self.node is not None
        for peer in sorted(self.linked):
            try:
                answer = await self.node.request(
                    peer, sync_request(start, min(count, SYNC_MAX_BLOCKS)), 10.0
                )
                items = parse_sync_answer(answer)
            except (P2PError, DecodeError) as exc:
                log.info("block sync from %s failed: %s", peer.hex()[:16], exc)
                continue
            if items:
                return items
        return []

    def on_peer(self, peer: bytes, up: bool) -> None:
        (self.linked.add if up else self.linked.discard)(peer)
        if self.driver is not None:
            validators = {v.public_key for v in self.chain.validators} - {
                self.driver.key.public.raw
            }
            self.driver.metrics.peers_linked.set(len(self.linked & validators))
            self.driver.metrics.validators_missing.set(len(validators - self.linked))
        log.info("peer %s %s", peer.hex()[:16], "linked" if up else "down")

    def on_heard(self, peer: bytes) -> None:
        self.heard[peer] = time.time()

    def on_consensus(self, data: bytes) -> bool:
        return self.driver is not None and self.driver.deliver_message(data)


async def start_network(
    nursery: trio.Nursery, config: Config, key: PrivateKey, chain: Chain, service: NodeService
) -> Network:
    """Start p2p when the validator set has other members (or observers are configured)."""
    others = [v.public_key for v in chain.validators if v.public_key != key.public.raw]
    if not others and not config.p2p.peers:
        return Network(chain, None, None)
    _check_listen(config.p2p.host, config.p2p.port)
    specs = []
    addressed = set()
    for text in config.p2p.peers:
        pub, host, port = parse_peer(text)
        specs.append(PeerSpec(pub, host, port))
        addressed.add(pub)
    specs += [PeerSpec(pub) for pub in others if pub not in addressed]  # accept, cannot dial
    observers = tuple(bytes.fromhex(o) for o in config.p2p.observers)

    snapshots = SnapshotServer(chain.store)

    async def serve(peer: bytes, request: bytes) -> bytes:
        try:
            head = codec.expect_list(codec.decode(request), what="request")
        except DecodeError:
            return codec.encode(["error", "bad_request"])
        if head and head[0] in ("manifest", "chunk"):
            return await trio.to_thread.run_sync(snapshots.answer, head)
        return serve_sync(chain, request)

    node = Node(
        P2PConfig(
            identity=key,
            chain_id=chain.chain_id,
            listen_host=config.p2p.host,
            listen_port=config.p2p.port,
            peers=tuple(specs),
            observers=observers,
            limits=Limits(max_payload=P2P_MAX_PAYLOAD),
        ),
        request_handler=serve,
        metrics=PrometheusMetrics(service.metrics.registry),
    )
    await nursery.start(node.run)
    transport = P2PTransport(node, key.public.raw)
    await nursery.start(transport.run)
    network = Network(chain, node, transport)
    network.snapshots = snapshots
    nursery.start_soon(snapshots.run)
    gossip = TxGossip(node)
    nursery.start_soon(gossip.run)
    service.on_admitted.append(lambda items, from_peer: None if from_peer else gossip.add(items))

    async def admit(raws: list[bytes]) -> None:
        await service.submit(raws, from_peer=True)

    nursery.start_soon(
        pump_events, node, network.on_consensus, admit, network.on_peer, network.on_heard
    )
    nursery.start_soon(rebroadcast, network, chain)
    return network


def _check_listen(host: str, port: int) -> None:
    """Fail with a clear error (not a traceback) when the p2p port cannot be had."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise ConfigError(f"cannot listen for p2p on {host}:{port}: {exc.strerror}") from exc
    finally:
        sock.close()


def consensus_status(driver: ConsensusDriver, network: Network) -> dict[str, object]:
    epoch = driver.chain.current_epoch
    me = driver.key.public.raw
    missing = [
        v.name
        for v in epoch.validators
        if v.public_key != me and network.node is not None and v.public_key not in network.linked
    ]
    common: dict[str, object] = {
        "epoch": epoch.number,
        "validators": [v.name for v in epoch.validators],
        "is_validator": driver.replica is not None,
        "validators_not_linked": missing,
        "view_changes": driver.view_changes,
        "invalid_messages": driver.invalid_messages,
        "state_transfer_requests": driver.state_transfer_requests,
        "state_syncs": driver.state_syncs,
    }
    r = driver.replica
    if r is None:
        return common
    return {
        "view": int(r.view),
        "primary": epoch.validators[int(r.primary)].name
        if int(r.primary) < len(epoch.validators)
        else "",
        "is_primary": r.is_primary,
        "view_change_in_progress": not r.active,
        "stable_checkpoint": int(r.low),
        "delivered": int(r.delivered),
        **common,
    }


def validator_links(driver: ConsensusDriver, network: Network) -> list[dict[str, object]]:
    """Every validator of the current epoch as this node sees it: linked or not, and how
    long ago it last sent anything (a consensus message, gossip or a status heartbeat)."""
    me = driver.key.public.raw
    now = time.time()

    def heard_ms(key: bytes) -> int | None:
        if key == me:
            return 0
        at = network.heard.get(key)
        return None if at is None else int((now - at) * 1000)

    return [
        {
            "name": v.name,
            "public_key": v.public_key.hex(),
            "self": v.public_key == me,
            "linked": v.public_key == me or v.public_key in network.linked,
            "last_heard_ms": heard_ms(v.public_key),
        }
        for v in driver.chain.current_epoch.validators
    ]


def consensus_health(driver: ConsensusDriver, network: Network) -> list[str]:
    """Reasons this node is not making progress normally (empty when all is well)."""
    reasons = []
    status = consensus_status(driver, network)
    if status.get("view_change_in_progress"):
        reasons.append(f"view change in progress (moving to view {status['view']})")
    if driver.syncing:
        reasons.append(f"catching up by block sync (height {driver.chain.height})")
    missing = status["validators_not_linked"]
    if missing:
        reasons.append(f"no link to validators: {', '.join(missing)}")  # type: ignore[arg-type]
    return reasons
