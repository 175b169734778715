from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cameras.health import Change, live_state, uptime

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
