"""Outstanding requests of this node, matched to responses by (peer, request id)."""

from __future__ import annotations

from dataclasses import dataclass, field

import trio

from p2p.envelope import Status
from p2p.errors import LinkReset, P2PError, RemoteError

U32 = 2**32


@dataclass(slots=True)
class Pending:
    peer: bytes
    done: trio.Event = field(default_factory=trio.Event)
    status: Status | None = None
    payload: bytes = b""
    error: P2PError | None = None

    def result(self) -> bytes:
        if self.error is not None:
            raise self.error
        if self.status == Status.OK:
            return self.payload
        if self.status == Status.BUSY:
            raise RemoteError("the peer is busy serving other requests")
        raise RemoteError(f"the peer failed the request: {self.payload[:200]!r}")


class Requests:
    def __init__(self) -> None:
        self._next = 0
        self._pending: dict[int, Pending] = {}

    def open(self, peer: bytes) -> tuple[int, Pending]:
        for _ in range(U32):
            self._next = (self._next + 1) % U32
            if self._next not in self._pending:
                break
        p = Pending(peer)
        self._pending[self._next] = p
        return self._next, p

    def close(self, request_id: int) -> None:
        self._pending.pop(request_id, None)

    def answer(self, peer: bytes, request_id: int, status: Status, payload: bytes) -> bool:
        """Complete a request; False for a response to nothing we asked that peer."""
        p = self._pending.get(request_id)
        if p is None or p.peer != peer or p.done.is_set():
            return False
        p.status = status
        p.payload = payload
        p.done.set()
        return True

    def fail_peer(self, peer: bytes, reason: str) -> None:
        for p in self._pending.values():
            if p.peer == peer and not p.done.is_set():
                p.error = LinkReset(reason)
                p.done.set()
