"""The bounded per-peer send queue, in two lanes.

The reliable lane (consensus, sync, control) is never shed: a producer waits for space
(backpressure) and, if the peer still cannot keep up, the link is reset and the upper
layer is told. The gossip lane sheds: when it is full the new message is dropped and
counted. The writer always drains the reliable lane first.
"""

from __future__ import annotations

from collections import deque

import trio
from trio.lowlevel import ParkingLot

from p2p.errors import LinkReset


class SendQueue:
    __slots__ = ("reliable", "gossip", "reliable_max", "gossip_max", "closed", "_data", "_space")

    def __init__(self, reliable_max: int, gossip_max: int) -> None:
        self.reliable: deque[bytes] = deque()
        self.gossip: deque[bytes] = deque()
        self.reliable_max = reliable_max
        self.gossip_max = gossip_max
        self.closed = False
        self._data = ParkingLot()
        self._space = ParkingLot()

    def put_gossip(self, record: bytes) -> bool:
        """Queue a sheddable record; False when it was shed."""
        if self.closed or len(self.gossip) >= self.gossip_max:
            return False
        self.gossip.append(record)
        self._data.unpark_all()
        return True

    def try_put_reliable(self, record: bytes) -> bool:
        if self.closed:
            raise LinkReset("link closed")
        if len(self.reliable) >= self.reliable_max:
            return False
        self.reliable.append(record)
        self._data.unpark_all()
        return True

    async def put_reliable(self, record: bytes, wait: float) -> bool:
        """Queue a record that must not be lost; False if no space came within `wait`."""
        if self.try_put_reliable(record):
            return True
        with trio.move_on_after(wait):
            while True:
                await self._space.park()
                if self.try_put_reliable(record):
                    return True
        return False

    async def take(self, max_bytes: int) -> list[bytes]:
        """At least one record (reliable first), up to about `max_bytes` of them."""
        if not self.reliable and not self.gossip:
            while not self.reliable and not self.gossip:
                if self.closed:
                    raise LinkReset("link closed")
                await self._data.park()
            # We were idle and got woken by the first record: let the other tasks of
            # this scheduling round add theirs, so they share one sealed frame.
            await trio.sleep(0)
        out: list[bytes] = []
        size = 0
        for lane in (self.reliable, self.gossip):
            while lane and (not out or size + len(lane[0]) + 4 <= max_bytes):
                record = lane.popleft()
                size += len(record) + 4
                out.append(record)
        self._space.unpark_all()
        return out

    def adopt(self, other: SendQueue) -> None:
        """Take over what another (replaced) link had not sent yet, ahead of our own."""
        self.reliable.extendleft(reversed(other.reliable))
        self.gossip.extendleft(reversed(other.gossip))
        other.reliable.clear()
        other.gossip.clear()
        if self.reliable or self.gossip:
            self._data.unpark_all()

    def close(self) -> None:
        self.closed = True
        self._data.unpark_all()
        self._space.unpark_all()
