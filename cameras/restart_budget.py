"""How often a crashed camera worker may be restarted: pure logic, time comes in as ``now``.

At most ``limit`` restarts within any ``window_s`` seconds. The crash after that marks the camera
``failed`` for ``pause_s``; once the pause is over the budget starts afresh.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum


class Verdict(StrEnum):
    RESTART = "restart"
    FAILED = "failed"


class RestartBudget:
    def __init__(self, *, limit: int = 5, window_s: float = 60.0, pause_s: float = 60.0) -> None:
        if limit < 0 or window_s <= 0 or pause_s < 0:
            raise ValueError("need limit >= 0, window_s > 0, pause_s >= 0")
        self.limit, self.window_s, self.pause_s = limit, window_s, pause_s
        self._recent: deque[float] = deque()  # monotonic times of restarts still in the window
        self.failed_until: float | None = None
        self.total = 0  # restarts granted since the supervisor started

    def recent(self, now: float) -> int:
        """Restarts within the window ending at ``now`` (one exactly ``window_s`` ago is out)."""
        while self._recent and now - self._recent[0] >= self.window_s:
            self._recent.popleft()
        return len(self._recent)

    def on_exit(self, now: float) -> Verdict:
        """A worker died at ``now``: restart it, or declare the camera failed."""
        if self.recent(now) >= self.limit:
            self.failed_until = now + self.pause_s
            return Verdict.FAILED
        self._recent.append(now)
        self.total += 1
        return Verdict.RESTART

    @property
    def failed(self) -> bool:
        return self.failed_until is not None

    def retry_due(self, now: float) -> bool:
        """True once (and the budget is fresh again) when a failed camera's pause is over."""
        if self.failed_until is None or now < self.failed_until:
            return False
        self.failed_until = None
        self._recent.clear()
        return True

    def reset(self) -> None:
        """Start afresh (the camera's definition changed): no pause, no recent restarts;
        ``total`` goes on counting."""
        self.failed_until = None
        self._recent.clear()
