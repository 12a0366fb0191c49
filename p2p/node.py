"""The p2p node: listener, dialers, the live links, and message dispatch.

Theory of operation. `Node.run` opens one nursery holding the TCP listener and one
dial loop per dialable peer. Every TCP connection (either direction) must complete
the authenticated handshake (handshake.py) within the handshake timeout; then the
remote identity must be permitted (a configured peer or observer, not banned, not
ourselves) and, when we dialled, equal to the identity configured for that address.
Only then does it become a Link, registered under the peer's identity.

At most one link per peer: when both sides dial at once, both keep the link initiated
by the smaller identity key, so they agree without talking; the other is closed and
its unsent messages move to the survivor.

Inbound records are decoded (envelope.py), rate-limited (peer_score.py) and
dispatched: Data to `events`, Gossip through the seen-cache to `events` and on to
other peers (gossip.py), Request to the request handler, Response to the waiting
requester (reqresp.py). Misbehaviour lowers the peer's score; a banned peer's link
is closed and its handshakes are refused, while every other link carries on.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial

import trio

from p2p import envelope
from p2p.backoff import Backoff
from p2p.config import P2PConfig, PeerSpec
from p2p.envelope import MsgClass, Status
from p2p.errors import (
    HandshakeError,
    HandshakeTimeout,
    IdentityMismatch,
    InvalidMessage,
    LinkReset,
    MessageTooLarge,
    NotConnected,
    NotPermitted,
    P2PError,
    RequestTimeout,
)
from p2p.events import Delivered, Event, PeerDown, PeerUp
from p2p.gossip import SeenCache, choose_targets, gossip_id
from p2p.handshake import Handshake, make_proof
from p2p.link import Link, perform_handshake
from p2p.metrics import CounterMetrics, MetricsSink
from p2p.noise import generate_x25519, x25519_public
from p2p.peer_score import Offence, PeerScores, TokenBucket
from p2p.reqresp import Requests

log = logging.getLogger("p2p")

RequestHandler = Callable[[bytes, bytes], Awaitable[bytes]]
FLOOD_PENALTY_INTERVAL = 0.1
_PING_PREFIX = envelope.encode_ping(0)[:2]  # unsent pings are no loss to report


@dataclass(slots=True)
class _Inbound:
    bucket: TokenBucket
    last_flood_penalty: float = float("-inf")


def _short(key: bytes) -> str:
    return key.hex()[:12]


class Node:
    """One p2p endpoint. Run it with `port = await nursery.start(node.run)`."""

    def __init__(
        self,
        config: P2PConfig,
        *,
        request_handler: RequestHandler | None = None,
        metrics: MetricsSink | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.limits = limits = config.limits
        self.identity = config.identity.public.raw
        self.metrics: MetricsSink = metrics if metrics is not None else CounterMetrics()
        self._handler = request_handler
        self._rng = rng or random.Random()
        self._noise_static = generate_x25519()
        self._proof = make_proof(
            config.identity, config.chain_id, x25519_public(self._noise_static)
        )
        self._peers: dict[bytes, PeerSpec] = {}
        self._observers: frozenset[bytes] = frozenset()
        self._links: dict[bytes, Link] = {}
        self._inbound: dict[int, _Inbound] = {}
        self._dialers: dict[bytes, tuple[PeerSpec, trio.CancelScope]] = {}
        self._scores = PeerScores(limits.score_ban_threshold, limits.ban_seconds)
        self._seen = SeenCache(limits.seen_cache_size, limits.seen_ttl)
        self._requests = Requests()
        self._pending_handshakes = 0
        self._events_in, self.events = trio.open_memory_channel[Event](limits.inbound_queue)
        self._nursery: trio.Nursery | None = None
        self._scope = trio.CancelScope()
        self.port: int | None = None
        self._set_allowed(config.peers, config.observers)

    # ------------------------------------------------------------ lifecycle

    async def run(self, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        """Listen and dial until cancelled (or `stop()`); reports the listening port."""
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    listeners = await nursery.start(
                        partial(
                            trio.serve_tcp,
                            self._on_inbound,
                            self.config.listen_port,
                            host=self.config.listen_host,
                            handler_nursery=nursery,
                        )
                    )
                    self.port = listeners[0].socket.getsockname()[1]
                    for spec in self._peers.values():
                        self._start_dialer(spec)
                    log.info("p2p %s listening on port %s", _short(self.identity), self.port)
                    task_status.started(self.port)
        finally:
            self._nursery = None
            self._events_in.close()

    def stop(self) -> None:
        self._scope.cancel()

    def connected_peers(self) -> list[bytes]:
        return sorted(self._links)

    def dialled_by_us(self) -> dict[bytes, bool]:
        """Diagnostics: each connected peer and whether we initiated its link."""
        return {peer: link.initiator for peer, link in self._links.items()}

    def is_banned(self, peer: bytes) -> bool:
        return self._scores.is_banned(peer, trio.current_time())

    def update_peers(self, peers: Iterable[PeerSpec], observers: Iterable[bytes] = ()) -> None:
        """Replace the permitted set (e.g. at an epoch change); drops links no longer allowed."""
        self._set_allowed(tuple(peers), tuple(observers))
        for key, (spec, scope) in list(self._dialers.items()):
            if self._peers.get(key) != spec:
                scope.cancel()
                del self._dialers[key]
        for key, link in list(self._links.items()):
            if not self._allowed(key):
                link.reset("not_permitted", "identity removed from the permitted set")
        if self._nursery is not None:
            for spec in self._peers.values():
                self._start_dialer(spec)

    def _set_allowed(self, peers: tuple[PeerSpec, ...], observers: tuple[bytes, ...]) -> None:
        self._peers = {p.public_key: p for p in peers if p.public_key != self.identity}
        self._observers = frozenset(observers)

    def _allowed(self, key: bytes) -> bool:
        return key in self._peers or key in self._observers

    # ------------------------------------------------------------ upper-layer API

    async def send(self, peer: bytes, msg_class: MsgClass, payload: bytes) -> None:
        """Send one message. CONSENSUS waits for queue space, else resets the link (LinkReset);
        GOSSIP-class messages may be shed when the peer's queue is full."""
        if msg_class not in (MsgClass.CONSENSUS, MsgClass.GOSSIP):
            raise ValueError("send() carries CONSENSUS or GOSSIP messages; use request()")
        self._check_size(payload)
        link = self._links.get(peer)
        if link is None:
            raise NotConnected(f"no link to {_short(peer)}")
        await link.send(msg_class, envelope.encode_data(msg_class, payload))

    async def broadcast(self, msg_class: MsgClass, payload: bytes) -> None:
        """Send to every connected peer. A peer whose queue stays full for `consensus_wait`
        is reset (PeerDown with consensus_lost); the others still get the message."""
        if msg_class not in (MsgClass.CONSENSUS, MsgClass.GOSSIP):
            raise ValueError("broadcast() carries CONSENSUS or GOSSIP messages")
        self._check_size(payload)
        record = envelope.encode_data(msg_class, payload)
        for link in list(self._links.values()):
            try:
                await link.send(msg_class, record)
            except LinkReset:
                continue

    def gossip(self, payload: bytes) -> bytes:
        """Flood `payload` to the network; returns its gossip id. Never blocks."""
        self._check_size(payload)
        msg_id = gossip_id(payload)
        if self._seen.add(msg_id, trio.current_time()):
            self._forward(envelope.encode_gossip(payload), exclude=None)
        return msg_id

    async def request(self, peer: bytes, payload: bytes, timeout: float | None = None) -> bytes:
        """Ask `peer`; its handler's answer, or RequestTimeout / RemoteError / LinkReset."""
        self._check_size(payload)
        link = self._links.get(peer)
        if link is None:
            raise NotConnected(f"no link to {_short(peer)}")
        rid, pending = self._requests.open(peer)
        try:
            await link.send(MsgClass.SYNC, envelope.encode_request(rid, payload))
            with trio.move_on_after(timeout or self.limits.request_timeout) as cs:
                await pending.done.wait()
            if cs.cancelled_caught:
                raise RequestTimeout(f"no response from {_short(peer)} in time")
            return pending.result()
        finally:
            self._requests.close(rid)

    def _check_size(self, payload: bytes) -> None:
        if len(payload) > self.limits.max_payload:
            raise MessageTooLarge(f"payload of {len(payload)} bytes exceeds the limit")

    # ------------------------------------------------------------ connections

    async def _on_inbound(self, stream: trio.SocketStream) -> None:
        if self._pending_handshakes >= self.limits.max_pending_handshakes:
            self.metrics.inc("handshake_failures", 1, "too_many_handshakes")
            await trio.aclose_forcefully(stream)
            return
        self._pending_handshakes += 1
        link = None
        try:
            hs = self._new_handshake(initiator=False)
            result, leftover = await perform_handshake(stream, hs, self.limits.handshake_timeout)
            self._check_permitted(result.remote_identity)
            peer = result.remote_identity
            link = Link(stream, peer, result, False, self.limits, self.metrics, leftover)
        except HandshakeError as exc:
            self._handshake_failed(exc, "inbound")
        finally:
            self._pending_handshakes -= 1
            if link is None:
                await trio.aclose_forcefully(stream)
        if link is not None:
            await self._serve_link(link)

    def _new_handshake(self, initiator: bool) -> Handshake:
        return Handshake(
            initiator=initiator,
            identity=self.config.identity,
            chain_id=self.config.chain_id,
            noise_static=self._noise_static,
            proof=self._proof,
            hash_name=self.config.hash_name,
        )

    def _check_permitted(self, peer: bytes) -> None:
        if peer == self.identity:
            raise NotPermitted("the remote is ourselves")
        if not self._allowed(peer):
            raise NotPermitted(f"identity {_short(peer)} is not permitted")
        if self.is_banned(peer):
            raise NotPermitted(f"identity {_short(peer)} is banned")

    def _handshake_failed(self, exc: HandshakeError, direction: str) -> None:
        self.metrics.inc("handshake_failures", 1, exc.code)
        log.warning("p2p %s handshake refused (%s): %s", direction, exc.code, exc.message)

    def _start_dialer(self, spec: PeerSpec) -> None:
        if not spec.dialable or spec.public_key in self._dialers or self._nursery is None:
            return
        scope = trio.CancelScope()
        self._dialers[spec.public_key] = (spec, scope)
        self._nursery.start_soon(self._dial_loop, spec, scope)

    async def _dial_loop(self, spec: PeerSpec, scope: trio.CancelScope) -> None:
        peer = spec.public_key
        backoff = Backoff(self.limits.backoff_base, self.limits.backoff_max, self._rng)
        with scope:
            while True:
                current = self._links.get(peer)
                if current is not None:
                    await current.done.wait()
                    continue
                banned_for = self._scores.ban_remaining(peer, trio.current_time())
                if banned_for > 0:
                    await trio.sleep(banned_for)
                    continue
                link = await self._dial(spec)
                if link is not None and self._nursery is not None:
                    backoff.reset()
                    # the link lives in the node's nursery, so re-targeting this dialer
                    # (update_peers) never tears down a healthy link
                    self._nursery.start_soon(self._serve_link, link)
                    await link.done.wait()
                await trio.sleep(backoff.next_delay())

    async def _dial(self, spec: PeerSpec) -> Link | None:
        assert spec.host is not None and spec.port is not None
        timeout = self.limits.handshake_timeout
        try:
            with trio.fail_after(timeout):
                stream = await trio.open_tcp_stream(spec.host, spec.port)
        except (OSError, trio.TooSlowError):
            self.metrics.inc("dial_failures", 1)
            return None
        link = None
        try:
            result, leftover = await perform_handshake(stream, self._new_handshake(True), timeout)
            if result.remote_identity != spec.public_key:
                raise IdentityMismatch(
                    f"{spec.host}:{spec.port} answered as {_short(result.remote_identity)}, "
                    f"expected {_short(spec.public_key)}"
                )
            self._check_permitted(result.remote_identity)
            link = Link(stream, spec.public_key, result, True, self.limits, self.metrics, leftover)
        except HandshakeError as exc:
            self._handshake_failed(exc, "outbound")
        finally:
            if link is None:  # refused, failed or cancelled: never leak the socket
                await trio.aclose_forcefully(stream)
        return link

    def _admit(self, link: Link) -> bool | None:
        """Register `link`: True if the peer is new, False if it replaced a link (whose
        unsent messages it takes over), None if refused in favour of an existing one."""
        existing = self._links.get(link.peer)
        if existing is not None:
            we_win = self.identity < link.peer  # links initiated by the smaller key survive
            if existing.initiator != link.initiator and existing.initiator == we_win:
                self.metrics.inc("duplicate_links", 1)
                return None
            link.queue.adopt(existing.queue)
            self._links[link.peer] = link
            existing.reset("replaced", "a newer link to the same peer replaced this one")
            return False
        self._links[link.peer] = link
        return True

    async def _serve_link(self, link: Link) -> None:
        peer = link.peer
        previous = self._links.get(peer)
        admitted = self._admit(link)
        if admitted is None:
            await trio.aclose_forcefully(link.stream)
            link.done.set()
            return
        lim = self.limits
        self._inbound[link.id] = _Inbound(
            TokenBucket(lim.rate_per_sec, lim.rate_burst, trio.current_time())
        )
        self.metrics.set_gauge("peers_connected", len(self._links))
        try:
            if not admitted and previous is not None:
                # Frames already written on the replaced link may never have arrived
                # (a restarted peer, a half-open connection): say so, in order.
                await self._events_in.send(
                    PeerDown(
                        peer,
                        "replaced",
                        "a newer link replaced this one",
                        previous.carried_reliable,
                    )
                )
            log.info("p2p %s linked to %s", _short(self.identity), _short(peer))
            await self._events_in.send(PeerUp(peer))
            closed = await link.run(self._on_records)
        finally:
            self._inbound.pop(link.id, None)
            current = self._links.get(peer) is link
            if current:
                del self._links[peer]
                self._requests.fail_peer(peer, "link reset")
                self.metrics.set_gauge("peers_connected", len(self._links))
            if not link.done.is_set():  # cancelled before run(): close here
                await trio.aclose_forcefully(link.stream)
                link.done.set()
        if closed.code != "replaced":
            self.metrics.inc("link_resets", 1, closed.code)
        if closed.offence is not None:
            self._penalise(peer, closed.offence)
        if current:
            lost = link.lost_reliable or any(
                not r.startswith(_PING_PREFIX) for r in link.queue.reliable
            )
            log.info("p2p link to %s closed (%s): %s", _short(peer), closed.code, closed.reason)
            await self._events_in.send(PeerDown(peer, closed.code, closed.reason, lost))

    def _penalise(self, peer: bytes, offence: Offence) -> bool:
        self.metrics.inc("misbehaviour", 1, offence.value)
        if not self._scores.penalise(peer, offence, trio.current_time()):
            return False
        self.metrics.inc("bans", 1)
        log.warning("p2p banned %s after %s", _short(peer), offence.value)
        link = self._links.get(peer)
        if link is not None:
            link.reset("banned", f"banned after {offence.value}")
        return True

    # ------------------------------------------------------------ inbound dispatch

    async def _on_records(self, link: Link, records: list[bytes]) -> None:
        now = trio.current_time()
        state = self._inbound.get(link.id)
        if state is not None and not state.bucket.take(now, len(records)):
            if now - state.last_flood_penalty >= FLOOD_PENALTY_INTERVAL:
                state.last_flood_penalty = now
                if self._penalise(link.peer, Offence.FLOOD):
                    return
        max_payload = self.limits.max_payload
        counts: dict[MsgClass, int] = {}
        sizes: dict[MsgClass, int] = {}
        for record in records:
            try:
                env = envelope.decode(record, max_payload)
            except InvalidMessage as exc:
                log.info("p2p bad message from %s: %s", _short(link.peer), exc.message)
                if self._penalise(link.peer, Offence.BAD_MESSAGE):
                    return
                continue
            cls = env.msg_class
            counts[cls] = counts.get(cls, 0) + 1
            sizes[cls] = sizes.get(cls, 0) + len(record)
            if type(env) is envelope.Data:
                await self._deliver(Delivered(link.peer, cls, env.payload))
            elif type(env) is envelope.Gossip:
                self._on_gossip(link, record, env.payload, now)
            elif type(env) is envelope.Request:
                await self._on_request(link, env)
            elif type(env) is envelope.Response:
                if not self._requests.answer(link.peer, env.request_id, env.status, env.payload):
                    self.metrics.inc("drops", 1, "sync:unsolicited_response")
        for cls, n in counts.items():
            self.metrics.inc("messages_in", n, cls.name.lower())
            self.metrics.inc("bytes_in", sizes[cls], cls.name.lower())

    async def _deliver(self, event: Delivered) -> None:
        try:
            self._events_in.send_nowait(event)
        except trio.WouldBlock:
            if event.msg_class == MsgClass.GOSSIP:
                self.metrics.inc("drops", 1, "gossip:inbound_full")
                return
            await self._events_in.send(event)  # backpressure onto this peer's reader

    def _on_gossip(self, link: Link, record: bytes, payload: bytes, now: float) -> None:
        if not self._seen.add(gossip_id(payload), now):
            self.metrics.inc("gossip_duplicates", 1)
            return
        try:
            self._events_in.send_nowait(Delivered(link.peer, MsgClass.GOSSIP, payload))
        except trio.WouldBlock:
            self.metrics.inc("drops", 1, "gossip:inbound_full")
        self._forward(record, exclude=link.peer)

    def _forward(self, record: bytes, exclude: bytes | None) -> None:
        targets = choose_targets(list(self._links), exclude, self.limits.gossip_fanout, self._rng)
        for peer in targets:
            if self._links[peer].queue.put_gossip(record):
                self.metrics.inc("messages_out", 1, "gossip")
                self.metrics.inc("bytes_out", len(record), "gossip")
            else:
                self.metrics.inc("drops", 1, "gossip:send_queue_full")

    async def _on_request(self, link: Link, req: envelope.Request) -> None:
        if self._handler is None or self._nursery is None:
            await self._respond(link, req.request_id, Status.ERROR, b"no request handler")
        elif link.requests_in_flight >= self.limits.max_requests_in_flight:
            await self._respond(link, req.request_id, Status.BUSY, b"")
        else:
            link.requests_in_flight += 1
            self._nursery.start_soon(self._answer, link, req, self._handler)

    async def _answer(self, link: Link, req: envelope.Request, handler: RequestHandler) -> None:
        try:
            try:
                out, status = await handler(link.peer, req.payload), Status.OK
            except P2PError as exc:
                out, status = exc.code.encode(), Status.ERROR
            except Exception as exc:  # a handler bug must not take the node down
                log.exception("p2p request handler failed")
                out, status = type(exc).__name__.encode(), Status.ERROR
            if len(out) > self.limits.max_payload:
                out, status = b"message_too_large", Status.ERROR
            await self._respond(link, req.request_id, status, out)
        finally:
            link.requests_in_flight -= 1

    async def _respond(self, link: Link, rid: int, status: Status, payload: bytes) -> None:
        try:
            await link.send(MsgClass.SYNC, envelope.encode_response(rid, status, payload))
        except LinkReset:
            pass


__all__ = ["HandshakeTimeout", "Node", "RequestHandler"]
