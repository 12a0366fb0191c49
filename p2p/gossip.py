"""Gossip bookkeeping (pure): message ids, the seen-cache, and target choice.

Flooding rule: a node that learns a gossip message for the first time delivers it to
the upper layer once and forwards it to up to `fanout` connected peers, never to the
peer it came from; a message already in the seen-cache is dropped (not delivered, not
forwarded). The id is the hash of the payload computed by each receiver, so a peer
cannot make two payloads collide or one payload look new.

The seen-cache is bounded (oldest evicted first) and time-expiring. It must outlive the
time a message takes to cross the network, or a message can come round again after
expiry; the default TTL is minutes for sub-second delivery.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Sequence

from primitives.hashing import digest

GOSSIP_TAG = b"scctn/p2p-gossip/v1"


def gossip_id(payload: bytes) -> bytes:
    return digest(GOSSIP_TAG, payload)


class SeenCache:
    """Ids seen within `ttl` seconds, at most `capacity` of them."""

    __slots__ = ("capacity", "ttl", "_expiry")

    def __init__(self, capacity: int, ttl: float) -> None:
        if capacity < 1 or ttl <= 0:
            raise ValueError("capacity >= 1 and ttl > 0")
        self.capacity = capacity
        self.ttl = ttl
        self._expiry: OrderedDict[bytes, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def __contains__(self, msg_id: object) -> bool:
        return msg_id in self._expiry

    def add(self, msg_id: bytes, now: float) -> bool:
        """Record `msg_id`; True if it was not seen (within the TTL) before."""
        self._expire(now)
        if msg_id in self._expiry:
            return False
        self._expiry[msg_id] = now + self.ttl
        if len(self._expiry) > self.capacity:
            self._expiry.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        # Same TTL for every entry, so insertion order is expiry order.
        expiry = self._expiry
        while expiry:
            first = next(iter(expiry.values()))
            if first > now:
                return
            expiry.popitem(last=False)


def choose_targets(
    connected: Sequence[bytes],
    exclude: bytes | None,
    fanout: int | None,
    rng: random.Random,
) -> list[bytes]:
    """Peers to forward to: every connected peer but `exclude`, or `fanout` of them."""
    candidates = [p for p in connected if p != exclude]
    if fanout is None or fanout >= len(candidates):
        return candidates
    return rng.sample(candidates, fanout)
