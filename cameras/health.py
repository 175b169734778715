"""Camera health: the worker's live counters and, from the status history, uptime and outages.

States: ``starting``, ``online``, ``degraded`` (frames arrive but too slowly, or analysis lags),
``offline`` (unreachable; retried), ``error`` (wrong URL, credentials or content; retried),
``failed`` (the worker keeps crashing; the supervisor retries later).

Online <-> degraded is damped (:class:`StateDamper`): hysteresis between entry and recovery
thresholds plus a minimum dwell, so a camera that hovers around a threshold does not flap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rtcc.vocab import CAMERA_DOWN_STATES, CAMERA_UP_STATES

if TYPE_CHECKING:
    from cameras.uptime import Change, Uptime, uptime

__all__ = [
    "Change",
    "Counters",
    "StateDamper",
    "Uptime",
    "camera_state",
    "live_state",
    "uptime",
]


def __getattr__(name: str) -> Any:
    """Uptime needs the database (SQLAlchemy, the models): loaded when asked for, so a camera
    worker, which only counts and reports, does not carry them (test_worker_footprint)."""
    if name in ("Change", "Uptime", "uptime"):
        from cameras import uptime as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


UP_STATES = CAMERA_UP_STATES
DOWN_STATES = CAMERA_DOWN_STATES
# Hysteresis: a camera becomes degraded past the first threshold and recovers only once it is
# comfortably back (the second); between the two it keeps the state it has.
DEGRADED_FPS_SHARE = 0.5  # input below half the stream's nominal rate
RECOVER_FPS_SHARE = 0.7
DEGRADED_LAG_S = 2.0  # analysis more than 2 s behind real time
RECOVER_LAG_S = 1.0
# A host that cannot keep up: the camera analyses fewer of the frames it wanted than this share.
DEGRADED_ANALYSED_SHARE = 0.8
RECOVER_ANALYSED_SHARE = 0.95
MIN_DWELL_S = 15.0  # online <-> degraded at most once per this many seconds
FPS_WINDOW_S = 2.0


def live_state(
    *, input_fps: float, nominal_fps: float, lag_s: float, analysed_share: float = 1.0
) -> str:
    """The undamped state of one measurement (entry thresholds only). ``analysed_share``: of the
    frames the camera wanted analysed, the share it could (below 1: the host is overloaded)."""
    if lag_s > DEGRADED_LAG_S or analysed_share < DEGRADED_ANALYSED_SHARE:
        return "degraded"
    if nominal_fps > 0 and input_fps > 0 and input_fps < DEGRADED_FPS_SHARE * nominal_fps:
        return "degraded"
    return "online"


def health_reason(
    *,
    input_fps: float,
    nominal_fps: float,
    lag_s: float,
    analysed_share: float = 1.0,
    detect_fps: float = 0.0,
) -> str:
    """What an operator reads next to the state: "analysis 2.0 s behind", "input 12.9 of 30 fps",
    "analysing 3.1 of 5 fps" (the host cannot keep up: this camera's share of its detect rate)."""
    parts = []
    if detect_fps > 0 and analysed_share < RECOVER_ANALYSED_SHARE:
        parts.append(f"analysing {analysed_share * detect_fps:.1f} of {detect_fps:g} fps")
    if lag_s >= RECOVER_LAG_S:
        parts.append(f"analysis {lag_s:.1f} s behind")
    if nominal_fps > 0 and 0 < input_fps < RECOVER_FPS_SHARE * nominal_fps:
        parts.append(f"input {input_fps:.1f} of {nominal_fps:.0f} fps")
    return ", ".join(parts)


LinkState = tuple[str, str | None]  # (state, reason) of one connection
_LINK_DOWN = ("offline", "error")


def camera_state(
    analysis: LinkState, recording: LinkState | None = None, *, recorder_error: str | None = None
) -> LinkState:
    """One camera state from its connections: ``analysis`` (the analysed stream: ``detect_url``
    or ``url``) and, for a camera that analyses a substream and records the main stream, the
    ``recording`` connection. A recording failure (disk full) is an ``error`` whatever the
    streams do. One stream down while the other works is ``degraded``, saying which and what is
    lost (so a camera never records while silently analysing nothing); both down is the worse
    of the two states."""
    if recorder_error is not None:
        return "error", recorder_error
    if recording is None:
        return analysis
    (a_state, a_why), (r_state, r_why) = analysis, recording
    a_down, r_down = a_state in _LINK_DOWN, r_state in _LINK_DOWN
    if a_down and r_down:
        state = "error" if "error" in (a_state, r_state) else "offline"
        if a_why == r_why:
            return state, a_why
        return state, f"detect stream: {a_why or a_state}; main stream: {r_why or r_state}"
    if a_down:
        return "degraded", f"detect stream {a_state}: {a_why or 'no video'}; no plate recognition"
    if r_down:
        return "degraded", f"main stream {r_state}: {r_why or 'no video'}; not recording"
    return analysis


class StateDamper:
    """Online/degraded with hysteresis and a minimum dwell, so a stream that hovers around a
    threshold does not flap: the state changes at most once per ``dwell_s`` (``now`` is a
    monotonic clock, injected)."""

    def __init__(self, now: Callable[[], float], *, dwell_s: float = MIN_DWELL_S) -> None:
        self._now = now
        self.dwell_s = dwell_s
        self.state = "online"
        self._since = now() - dwell_s  # the first verdict may change it at once

    def reset(self) -> None:
        """A new connection: start from online, free to change at once."""
        self.state, self._since = "online", self._now() - self.dwell_s

    def update(
        self,
        *,
        input_fps: float,
        nominal_fps: float,
        lag_s: float,
        analysed_share: float = 1.0,
        detect_fps: float = 0.0,
    ) -> tuple[str, str | None]:
        """The damped state and its reason (None when online)."""
        if self.state == "degraded":
            recovered = (
                lag_s < RECOVER_LAG_S
                and analysed_share >= RECOVER_ANALYSED_SHARE
                and not (nominal_fps > 0 and 0 < input_fps < RECOVER_FPS_SHARE * nominal_fps)
            )
            wanted = "online" if recovered else "degraded"
        else:
            wanted = live_state(
                input_fps=input_fps,
                nominal_fps=nominal_fps,
                lag_s=lag_s,
                analysed_share=analysed_share,
            )
        now = self._now()
        if wanted != self.state and now - self._since >= self.dwell_s:
            self.state, self._since = wanted, now
        if self.state == "online":
            return "online", None
        why = health_reason(
            input_fps=input_fps,
            nominal_fps=nominal_fps,
            lag_s=lag_s,
            analysed_share=analysed_share,
            detect_fps=detect_fps,
        )
        return "degraded", why or "recovering"


class Counters:
    """What a worker counts, and fps over a sliding window of ``FPS_WINDOW_S``."""

    def __init__(self, now_mono: float) -> None:
        self.decoded = 0
        self.analysed = 0
        self.sampling_skipped = 0
        self.motion_skipped = 0
        self.overload_skipped = 0  # wanted analysed but stale: the recognizer was behind
        self.reconnects = 0
        self.max_lag_s = 0.0
        self.lag_s = 0.0
        self.input_fps = 0.0
        self.analysed_fps = 0.0
        self.analysed_share = 1.0  # of the frames wanted analysed in the last window
        self._window_start = now_mono
        self._window_frames = 0
        self._window_analysed = 0
        self._window_overload = 0

    def frame(self, *, analysed: bool) -> None:
        """A decoded frame (input is counted by packets: a decoder may skip frames)."""
        self.decoded += 1
        if analysed:
            self.analysed += 1
            self._window_analysed += 1

    def overload(self) -> None:
        """A frame the camera wanted analysed and dropped: analysis was too far behind."""
        self.overload_skipped += 1
        self._window_overload += 1

    def packet(self) -> None:
        """A video packet received (the input rate counts packets)."""
        self._window_frames += 1

    def lag(self, lag_s: float) -> None:
        self.lag_s = max(0.0, lag_s)
        self.max_lag_s = max(self.max_lag_s, self.lag_s)

    def tick(self, now_mono: float) -> None:
        elapsed = now_mono - self._window_start
        if elapsed >= FPS_WINDOW_S:
            self.input_fps = self._window_frames / elapsed
            self.analysed_fps = self._window_analysed / elapsed
            wanted = self._window_analysed + self._window_overload
            self.analysed_share = self._window_analysed / wanted if wanted else 1.0
            self._window_frames = self._window_analysed = self._window_overload = 0
            self._window_start = now_mono

    def reset_rates(self, now_mono: float) -> None:
        self.input_fps = self.analysed_fps = self.lag_s = 0.0
        self.analysed_share = 1.0
        self._window_frames = self._window_analysed = self._window_overload = 0
        self._window_start = now_mono
