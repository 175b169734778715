"""Recording coverage of a camera: where the recorded segments leave time without video."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GAP_MIN_S = 1.0  # shorter pauses between segments are the cut between two of them, not a gap


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    reason: str | None = None  # for a gap: why the video stopped, when it is known


def gaps(segments: Iterable[Span], start: datetime, end: datetime,
         min_s: float = GAP_MIN_S) -> list[Span]:
    """The stretches of [start, end] not covered by ``segments`` (sorted by start), each at
    least ``min_s`` long; a gap ending at a segment carries that segment's ``reason``."""
    found: list[Span] = []
    cursor = start
    for seg in segments:
        if seg.end <= cursor:
            continue
        if seg.start >= end:
            break
        if (seg.start - cursor).total_seconds() >= min_s:
            found.append(Span(cursor, seg.start, seg.reason))
        cursor = max(cursor, seg.end)
    if (end - cursor).total_seconds() >= min_s:
        found.append(Span(cursor, end, None))
    return found
