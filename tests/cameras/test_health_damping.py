"""Online <-> degraded is damped: hysteresis plus a minimum dwell, on a fake clock."""

from __future__ import annotations

from cameras.health import (
    DEGRADED_LAG_S,
    MIN_DWELL_S,
    RECOVER_LAG_S,
    StateDamper,
    health_reason,
)
from rtcc.clock import FakeClock


def test_stream_alternating_around_the_threshold_changes_at_most_once_per_dwell() -> None:
    clock = FakeClock()
    damper = StateDamper(clock.monotonic)
    changes: list[tuple[float, str]] = []
    state = "online"
    step, duration = 0.1, 10 * MIN_DWELL_S  # ten reports a second, hopping across the threshold
    for i in range(int(duration / step)):
        lag = DEGRADED_LAG_S + (0.3 if i % 2 else -0.3)
        got, _ = damper.update(input_fps=30, nominal_fps=30, lag_s=lag)
        if got != state:
            changes.append((clock.monotonic(), got))
            state = got
        clock.advance(step)
    assert changes, "a stream past the threshold half the time must become degraded"
    times = [t for t, _ in changes]
    assert all(b - a >= MIN_DWELL_S for a, b in zip(times, times[1:], strict=False))
    assert len(changes) <= duration / MIN_DWELL_S + 1


def test_hysteresis_keeps_degraded_until_comfortably_recovered() -> None:
    clock = FakeClock()
    damper = StateDamper(clock.monotonic)
    assert damper.update(input_fps=30, nominal_fps=30, lag_s=2.5)[0] == "degraded"
    clock.advance(MIN_DWELL_S * 2)
    # Below the entry threshold but above the recovery one: still degraded, with the reason.
    mid = (DEGRADED_LAG_S + RECOVER_LAG_S) / 2
    state, reason = damper.update(input_fps=30, nominal_fps=30, lag_s=mid)
    assert state == "degraded" and reason == f"analysis {mid:.1f} s behind"
    state, reason = damper.update(input_fps=30, nominal_fps=30, lag_s=0.2)
    assert (state, reason) == ("online", None)


def test_dwell_delays_recovery_and_says_so() -> None:
    clock = FakeClock()
    damper = StateDamper(clock.monotonic)
    assert damper.update(input_fps=12.9, nominal_fps=30, lag_s=0)[1] == "input 12.9 of 30 fps"
    clock.advance(1)
    assert damper.update(input_fps=30, nominal_fps=30, lag_s=0) == ("degraded", "recovering")
    clock.advance(MIN_DWELL_S)
    assert damper.update(input_fps=30, nominal_fps=30, lag_s=0) == ("online", None)
    damper.update(input_fps=30, nominal_fps=30, lag_s=5)
    assert damper.state == "online"  # the dwell applies in both directions
    clock.advance(MIN_DWELL_S)
    assert damper.update(input_fps=30, nominal_fps=30, lag_s=5)[0] == "degraded"


def test_reason_names_both_causes() -> None:
    assert health_reason(input_fps=12.9, nominal_fps=30, lag_s=2.0) == (
        "analysis 2.0 s behind, input 12.9 of 30 fps"
    )
    assert health_reason(input_fps=0, nominal_fps=30, lag_s=0) == ""  # no window yet


def test_an_overloaded_host_degrades_the_camera_with_its_share_of_the_detect_rate() -> None:
    clock = FakeClock()
    damper = StateDamper(clock.monotonic)
    steady = {"input_fps": 10.0, "nominal_fps": 10.0, "lag_s": 0.4, "detect_fps": 5.0}
    assert damper.update(**steady, analysed_share=0.9) == ("online", None)  # small dips: fine
    assert damper.update(**steady, analysed_share=0.62) == ("degraded", "analysing 3.1 of 5 fps")
    clock.advance(MIN_DWELL_S)
    # better, not yet comfortably: still degraded, with the figure
    assert damper.update(**steady, analysed_share=0.9) == ("degraded", "analysing 4.5 of 5 fps")
    assert damper.update(**steady, analysed_share=1.0) == ("online", None)
