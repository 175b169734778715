from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cameras.health import Change, camera_state, live_state, uptime

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_uptime_counts_online_and_degraded_and_lists_outages() -> None:
    start = NOW - timedelta(hours=24)
    changes = [
        Change("online", start + timedelta(hours=1)),
        Change("offline", start + timedelta(hours=10)),
        Change("error", start + timedelta(hours=11)),  # same outage, new reason
        Change("degraded", start + timedelta(hours=12)),
        Change("offline", NOW - timedelta(hours=1)),
    ]
    report = uptime(changes, now=NOW, before=Change("starting", start - timedelta(days=3)))
    assert report.known_s == 24 * 3600
    assert report.up_s == (9 + 11) * 3600
    assert report.offline == [
        (start + timedelta(hours=10), start + timedelta(hours=12), "error"),
        (NOW - timedelta(hours=1), None, "offline"),  # still going on
    ]


def test_window_boundaries_and_no_history() -> None:
    start = NOW - timedelta(hours=24)
    report = uptime([Change("online", start)], now=NOW)
    assert report.ratio == 1.0
    outside = uptime([Change("offline", start - timedelta(seconds=1))], now=NOW)
    assert outside.ratio is None and outside.offline == []
    carried = uptime([], now=NOW, before=Change("offline", start - timedelta(hours=5)))
    assert carried.ratio == 0.0 and carried.offline == [(start, None, "offline")]


def test_live_state() -> None:
    assert live_state(input_fps=15, nominal_fps=15, lag_s=0) == "online"
    assert live_state(input_fps=5, nominal_fps=15, lag_s=0) == "degraded"
    assert live_state(input_fps=15, nominal_fps=15, lag_s=2.5) == "degraded"


REFUSED = "rtsp://***@10.0.0.5/sub: connection refused"


@pytest.mark.parametrize(
    ("analysis", "recording", "expected"),
    [
        (("online", None), None, ("online", None)),  # one connection: its own state
        (("offline", "x"), None, ("offline", "x")),
        (("online", None), ("online", None), ("online", None)),
        (("degraded", "input 3.0 of 10 fps"), ("online", None),
         ("degraded", "input 3.0 of 10 fps")),
        (("starting", None), ("online", None), ("starting", None)),
        (("offline", REFUSED), ("online", None),
         ("degraded", f"detect stream offline: {REFUSED}; no plate recognition")),
        (("online", None), ("error", "rtsp://***@h/main: authentication failed"),
         ("degraded", "main stream error: rtsp://***@h/main: authentication failed; "
                      "not recording")),
        (("offline", "end of file"), ("offline", "end of file"), ("offline", "end of file")),
        (("offline", "a"), ("error", "b"), ("error", "detect stream: a; main stream: b")),
    ],
)
def test_one_camera_state_from_the_analysed_and_the_recorded_stream(
    analysis: tuple[str, str | None], recording: tuple[str, str | None] | None,
    expected: tuple[str, str | None],
) -> None:
    assert camera_state(analysis, recording) == expected


def test_a_recording_failure_is_an_error_whatever_the_streams_do() -> None:
    full = "recording stopped: disk full (/data/video)"
    for recording in (None, ("online", None), ("offline", "gone")):
        assert camera_state(("online", None), recording, recorder_error=full) == ("error", full)
