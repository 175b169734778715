"""Reconnect delays: exponential with jitter (the upper half of each step is random), capped."""

from __future__ import annotations

import random


class Backoff:
    def __init__(
        self, *, base_s: float = 1.0, cap_s: float = 30.0, rng: random.Random | None = None
    ) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError("need 0 < base_s <= cap_s")
        self.base_s = base_s
        self.cap_s = cap_s
        self.attempt = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        """The largest delay the next attempt may get."""
        return min(self.cap_s, self.base_s * 2.0**self.attempt)

    def next(self) -> float:
        """The delay before the next attempt: uniform in [ceiling/2, ceiling]."""
        top = self.ceiling()
        self.attempt = min(self.attempt + 1, 32)
        return top / 2 + self._rng.random() * top / 2

    def reset(self) -> None:
        self.attempt = 0
