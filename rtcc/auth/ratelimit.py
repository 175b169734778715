"""A per-key sliding-window rate limit (login attempts per source address).

Pure logic on an injected monotonic clock; thread-safe (sync routes run in a thread pool).
Memory is bounded: the oldest keys are dropped past ``max_keys``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self, *, limit: int, window_s: float, clock: Callable[[], float], max_keys: int = 10_000
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str) -> float:
        """Record one event for ``key``: 0.0 when allowed, else seconds until it would be."""
        now = self._clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            self._hits[key] = hits  # most recently used last
            if len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.001)
            hits.append(now)
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
            return 0.0

    def refund(self, key: str) -> None:
        """Take back the last event of ``key`` (a successful sign-in does not count)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()
