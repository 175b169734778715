"""``find_gaps``: what part of a window no segment covers (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from rtcc.evidence.clip import Gap, Source, find_gaps

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def seg(i: int, start: float, end: float) -> Source:
    return Source(i, Path(f"{i}.mp4"), T + timedelta(seconds=start), T + timedelta(seconds=end))


def s(x: float) -> datetime:
    return T + timedelta(seconds=x)


def test_contiguous_segments_leave_no_gap() -> None:
    assert find_gaps([seg(1, 0, 60), seg(2, 60, 120)], s(10), s(110)) == []


def test_gaps_at_start_middle_and_end_in_time_order() -> None:
    segs = [seg(2, 70, 90), seg(1, 20, 50)]  # unsorted on purpose
    assert find_gaps(segs, s(0), s(100)) == [Gap(s(0), s(20)), Gap(s(50), s(70)),
                                             Gap(s(90), s(100))]


def test_breaks_up_to_the_tolerance_are_jitter_not_gaps() -> None:
    assert find_gaps([seg(1, 0, 10), seg(2, 10.5, 20)], s(0), s(20)) == []
    assert find_gaps([seg(1, 0, 10), seg(2, 10.6, 20)], s(0), s(20)) == [Gap(s(10), s(10.6))]


def test_no_segment_is_one_gap_over_the_window() -> None:
    assert find_gaps([seg(1, 200, 260)], s(0), s(100)) == [Gap(s(0), s(100))]
