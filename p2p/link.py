"""The trio shell around one connection: handshake, then reader, writer and keepalive.

The pure parts live elsewhere (handshake.py, channel.py, sendqueue.py); this module only
moves bytes and enforces time limits:

- the whole handshake must finish within `handshake_timeout` (slow-loris handshakes);
- after it, some complete frame must arrive within `idle_timeout` (the peer pings every
  `keepalive_interval`), so a peer trickling bytes without ever finishing a frame is cut;
- one `send_all` blocked for `send_timeout` means the peer does not read: cut.

`Link.run` returns a `Closed` saying why the link ended (and which offence, if any, the
peer committed); it does not raise for peer behaviour.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio

from p2p import envelope
from p2p.channel import SecureChannel
from p2p.config import Limits
from p2p.errors import (
    HandshakeTimeout,
    InvalidFrame,
    InvalidHandshake,
    LinkReset,
    OversizeFrame,
    P2PError,
)
from p2p.framing import HEADER, HEADER_SIZE, encode_frame
from p2p.handshake import MAX_HANDSHAKE_MESSAGE, Handshake, HandshakeResult
from p2p.metrics import MetricsSink
from p2p.peer_score import Offence
from p2p.sendqueue import SendQueue

RECV_CHUNK = 256 * 1024

_link_ids = itertools.count(1)


async def _read_frame(stream: trio.abc.Stream, buf: bytearray) -> bytes:
    while len(buf) < HEADER_SIZE:
        await _fill(stream, buf)
    (length,) = HEADER.unpack_from(buf)
    if length > MAX_HANDSHAKE_MESSAGE:
        raise InvalidHandshake(f"handshake frame of {length} bytes is too long")
    while len(buf) < HEADER_SIZE + length:
        await _fill(stream, buf)
    frame = bytes(buf[HEADER_SIZE : HEADER_SIZE + length])
    del buf[: HEADER_SIZE + length]
    return frame


async def _fill(stream: trio.abc.Stream, buf: bytearray) -> None:
    data = await stream.receive_some(4096)
    if not data:
        raise InvalidHandshake("connection closed during the handshake")
    buf += data


async def perform_handshake(
    stream: trio.abc.Stream, hs: Handshake, timeout: float
) -> tuple[HandshakeResult, bytes]:
    """Run `hs` over `stream`; the result and any bytes received past the handshake."""
    buf = bytearray()
    try:
        with trio.fail_after(timeout):
            if hs.initiator:
                await stream.send_all(encode_frame(hs.start()))
            while hs.result is None:
                reply = hs.receive(await _read_frame(stream, buf))
                if reply is not None:
                    await stream.send_all(encode_frame(reply))
    except trio.TooSlowError as exc:
        raise HandshakeTimeout(f"handshake not complete after {timeout} s") from exc
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
        raise InvalidHandshake(f"connection failed during the handshake: {exc}") from exc
    return hs.result, bytes(buf)


@dataclass(frozen=True, slots=True)
class Closed:
    code: str
    reason: str
    offence: Offence | None = None


RecordHandler = Callable[["Link", list[bytes]], Awaitable[None]]


class Link:
    """An authenticated link to `peer`. `initiator` is True when we dialled."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        peer: bytes,
        result: HandshakeResult,
        initiator: bool,
        limits: Limits,
        metrics: MetricsSink,
        leftover: bytes = b"",
    ) -> None:
        self.id = next(_link_ids)
        self.stream = stream
        self.peer = peer
        self.initiator = initiator
        self.limits = limits
        self.metrics = metrics
        self.channel = SecureChannel(result.send, result.recv, limits.max_frame)
        self.queue = SendQueue(limits.consensus_queue, limits.gossip_queue)
        self.lost_reliable = False  # a reliable message could not be queued
        self.carried_reliable = False  # consensus or sync records were queued here
        self._leftover = leftover
        self._scope = trio.CancelScope()
        self._closed: Closed | None = None
        self.done = trio.Event()
        self.requests_in_flight = 0

    def reset(self, code: str, reason: str, offence: Offence | None = None) -> None:
        """End the link from outside (slow peer, ban, replacement)."""
        if self._closed is None:
            self._closed = Closed(code, reason, offence)
        self.queue.close()
        self._scope.cancel()

    async def send(self, msg_class: envelope.MsgClass, record: bytes) -> None:
        """Queue one record; gossip may be shed, others wait or reset the link."""
        label = msg_class.name.lower()
        if msg_class == envelope.MsgClass.GOSSIP:
            if not self.queue.put_gossip(record):
                self.metrics.inc("drops", 1, f"{label}:send_queue_full")
                return
        elif await self.queue.put_reliable(record, self.limits.consensus_wait):
            self.carried_reliable = True
        else:
            self.lost_reliable = True
            self.reset("send_queue_full", "peer does not keep up with reliable messages")
            raise LinkReset("peer could not keep up; the link was reset")
        self.metrics.inc("messages_out", 1, label)
        self.metrics.inc("bytes_out", len(record), label)

    async def run(self, on_records: RecordHandler) -> Closed:
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._guard, self._writer)
                    nursery.start_soon(self._guard, self._keepalive)
                    await self._guard(self._reader, on_records)
        finally:
            self.queue.close()
            await trio.aclose_forcefully(self.stream)
            self.done.set()
        return self._closed or Closed("link_closed", "link closed")

    async def _guard(self, fn: Callable[..., Awaitable[None]], *args: object) -> None:
        try:
            await fn(*args)
        except OversizeFrame as exc:
            self.reset(exc.code, exc.message, Offence.OVERSIZE)
        except InvalidFrame as exc:
            self.reset(exc.code, exc.message, Offence.BAD_FRAME)
        except P2PError as exc:
            self.reset(exc.code, exc.message)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self.reset("connection_lost", f"connection lost: {exc!r}")

    async def _reader(self, on_records: RecordHandler) -> None:
        limits = self.limits
        channel = self.channel
        pending = self._leftover
        self._leftover = b""
        last_frame = trio.current_time()
        data: bytes | bytearray
        while True:
            if pending:
                data, pending = pending, b""
            else:
                with trio.move_on_at(last_frame + limits.idle_timeout) as cs:
                    data = await self.stream.receive_some(RECV_CHUNK)
                if cs.cancelled_caught:
                    self.reset(
                        "stalled", "no complete frame within the idle timeout", Offence.STALLED
                    )
                    return
                if not data:
                    self.reset("remote_closed", "the peer closed the connection")
                    return
            self.metrics.inc("wire_bytes_in", len(data))
            records = channel.receive(data)
            if records:
                await on_records(self, records)
                # after, not before: time spent blocked on the upper layer is not the peer's
                last_frame = trio.current_time()

    async def _writer(self) -> None:
        limits = self.limits
        while True:
            batch = await self.queue.take(limits.batch_bytes)
            data = self.channel.seal(batch)
            with trio.move_on_after(limits.send_timeout) as cs:
                await self.stream.send_all(data)
            if cs.cancelled_caught:
                self.reset("not_reading", "the peer stopped reading", Offence.NOT_READING)
                return
            self.metrics.inc("wire_bytes_out", len(data))

    async def _keepalive(self) -> None:
        for nonce in itertools.count():
            await trio.sleep(self.limits.keepalive_interval)
            ping = envelope.encode_ping(nonce % 2**32)
            if self.queue.try_put_reliable(ping):
                self.metrics.inc("messages_out", 1, "control")
                self.metrics.inc("bytes_out", len(ping), "control")
