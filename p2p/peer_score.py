"""Peer scores, bans and inbound rate limits (pure: the caller passes the time in).

Every authenticated peer starts at INITIAL_SCORE. An offence subtracts its penalty;
the score recovers by one point per second up to INITIAL_SCORE, so rare glitches are
forgiven and a stream of them is not. At or below the threshold the peer is banned
for `ban_seconds`: its link is closed and its handshakes are refused until then.

Unauthenticated misbehaviour (a bad or slow handshake) has no identity to blame: it
closes the connection and is counted (`handshake_failures`), and the number of
concurrent handshakes is bounded, but no address is banned (many honest peers may
share an address, e.g. behind NAT or on loopback).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Offence(StrEnum):
    BAD_FRAME = "bad_frame"  # undecryptable or unframeable bytes: the link dies anyway
    OVERSIZE = "oversize"  # a length prefix above the limit
    BAD_MESSAGE = "bad_message"  # an authentic record that is not a valid envelope
    FLOOD = "flood"  # messages beyond the per-peer rate
    STALLED = "stalled"  # no complete frame within the idle timeout (slow-loris)
    NOT_READING = "not_reading"  # our send blocked past the send timeout
    BAD_RESPONSE = "bad_response"  # a response to nothing we asked


PENALTY: dict[Offence, int] = {
    Offence.BAD_FRAME: 60,
    Offence.OVERSIZE: 60,
    Offence.BAD_MESSAGE: 20,
    Offence.FLOOD: 10,
    Offence.STALLED: 40,
    Offence.NOT_READING: 20,
    Offence.BAD_RESPONSE: 10,
}

INITIAL_SCORE = 100
RECOVERY_PER_SEC = 1


@dataclass(slots=True)
class _Entry:
    score: float
    updated: float


class PeerScores:
    def __init__(self, threshold: int = 0, ban_seconds: float = 600.0) -> None:
        self.threshold = threshold
        self.ban_seconds = ban_seconds
        self._entries: dict[bytes, _Entry] = {}
        self._bans: dict[bytes, float] = {}

    def score(self, peer: bytes, now: float) -> float:
        entry = self._entries.get(peer)
        if entry is None:
            return INITIAL_SCORE
        self._recover(entry, now)
        return entry.score

    def _recover(self, entry: _Entry, now: float) -> None:
        if now > entry.updated:
            gained = (now - entry.updated) * RECOVERY_PER_SEC
            entry.score = min(INITIAL_SCORE, entry.score + gained)
            entry.updated = now

    def penalise(self, peer: bytes, offence: Offence, now: float) -> bool:
        """Lower the score; True when this offence gets the peer banned."""
        entry = self._entries.setdefault(peer, _Entry(INITIAL_SCORE, now))
        self._recover(entry, now)
        entry.score -= PENALTY[offence]
        if entry.score <= self.threshold and not self.is_banned(peer, now):
            self._bans[peer] = now + self.ban_seconds
            entry.score = INITIAL_SCORE  # a clean slate once the ban ends
            entry.updated = now + self.ban_seconds
            return True
        return False

    def is_banned(self, peer: bytes, now: float) -> bool:
        until = self._bans.get(peer)
        if until is None:
            return False
        if now >= until:
            del self._bans[peer]
            return False
        return True

    def ban_remaining(self, peer: bytes, now: float) -> float:
        return max(0.0, self._bans.get(peer, now) - now)


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up."""

    __slots__ = ("rate", "burst", "tokens", "last")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = now

    def take(self, now: float, n: int = 1) -> bool:
        if now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False
