"""Camera health: the worker's live counters and, from the status history, uptime and outages.

States: ``starting``, ``online``, ``degraded`` (frames arrive but too slowly, or analysis lags),
``offline`` (unreachable; retried), ``error`` (wrong URL, credentials or content; retried),
``failed`` (the worker keeps crashing; the supervisor retries later).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rtcc.vocab import CAMERA_DOWN_STATES, CAMERA_UP_STATES

UP_STATES = CAMERA_UP_STATES
DOWN_STATES = CAMERA_DOWN_STATES
DEGRADED_FPS_SHARE = 0.5  # input below half the stream's nominal rate
DEGRADED_LAG_S = 2.0  # analysis more than 2 s behind real time
FPS_WINDOW_S = 2.0


def live_state(*, input_fps: float, nominal_fps: float, lag_s: float) -> str:
    if lag_s > DEGRADED_LAG_S:
        return "degraded"
    if nominal_fps > 0 and input_fps > 0 and input_fps < DEGRADED_FPS_SHARE * nominal_fps:
        return "degraded"
    return "online"


class Counters:
    """What a worker counts, and fps over a sliding window of ``FPS_WINDOW_S``."""

    def __init__(self, now_mono: float) -> None:
        self.decoded = 0
        self.analysed = 0
        self.sampling_skipped = 0
        self.motion_skipped = 0
        self.reconnects = 0
        self.max_lag_s = 0.0
        self.lag_s = 0.0
        self.input_fps = 0.0
        self.analysed_fps = 0.0
        self._window_start = now_mono
        self._window_frames = 0
        self._window_analysed = 0

    def frame(self, *, analysed: bool) -> None:
        self.decoded += 1
        self._window_frames += 1
        if analysed:
            self.analysed += 1
            self._window_analysed += 1

    def packet(self) -> None:
        """A video packet of a camera that is not decoded (it counts towards input fps)."""
        self._window_frames += 1

    def lag(self, lag_s: float) -> None:
        self.lag_s = max(0.0, lag_s)
        self.max_lag_s = max(self.max_lag_s, self.lag_s)

    def tick(self, now_mono: float) -> None:
        elapsed = now_mono - self._window_start
        if elapsed >= FPS_WINDOW_S:
            self.input_fps = self._window_frames / elapsed
            self.analysed_fps = self._window_analysed / elapsed
            self._window_frames = self._window_analysed = 0
            self._window_start = now_mono

    def reset_rates(self, now_mono: float) -> None:
        self.input_fps = self.analysed_fps = self.lag_s = 0.0
        self._window_frames = self._window_analysed = 0
        self._window_start = now_mono


@dataclass(frozen=True)
class Change:
    state: str
    at: datetime


@dataclass(frozen=True)
class Uptime:
    window_start: datetime
    window_end: datetime
    up_s: float
    known_s: float  # seconds of the window with a known state
    offline: list[tuple[datetime, datetime | None, str]]  # (from, to or None = ongoing, state)

    @property
    def ratio(self) -> float | None:
        return self.up_s / self.known_s if self.known_s > 0 else None


def uptime(
    changes: Iterable[Change], *, now: datetime, hours: float = 24.0, before: Change | None = None
) -> Uptime:
    """Uptime and down intervals over ``[now - hours, now]``.

    ``changes`` are the state changes inside the window (any order); ``before`` is the last
    change before the window (the state the window starts in), if any.
    """
    start = now - timedelta(hours=hours)
    timeline = sorted((c for c in changes if start <= c.at <= now), key=lambda c: c.at)
    if before is not None:
        timeline.insert(0, Change(before.state, start))
    up = known = 0.0
    down: list[tuple[datetime, datetime | None, str]] = []
    for i, change in enumerate(timeline):
        end = timeline[i + 1].at if i + 1 < len(timeline) else now
        span = (end - change.at).total_seconds()
        known += span
        if change.state in UP_STATES:
            up += span
        if change.state in DOWN_STATES:
            closing = end if i + 1 < len(timeline) else None
            if down and down[-1][1] == change.at:  # offline -> error: one outage
                down[-1] = (down[-1][0], closing, change.state)
            else:
                down.append((change.at, closing, change.state))
    return Uptime(start, now, up, known, down)
