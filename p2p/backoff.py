"""Jittered exponential backoff for reconnects (pure; the caller sleeps)."""

from __future__ import annotations

import random


class Backoff:
    """Delay n is uniform in [d/2, d] with d = min(cap, base * 2**n) ("equal jitter")."""

    __slots__ = ("base", "cap", "attempt", "_rng")

    def __init__(self, base: float, cap: float, rng: random.Random) -> None:
        if not 0 < base <= cap:
            raise ValueError("need 0 < base <= cap")
        self.base = base
        self.cap = cap
        self.attempt = 0
        self._rng = rng

    def next_delay(self) -> float:
        d = min(self.cap, self.base * (1 << min(self.attempt, 62)))
        self.attempt += 1
        return d / 2 + self._rng.random() * d / 2

    def reset(self) -> None:
        self.attempt = 0
