"""Camera uptime from the status history, counting only time somebody was watching.

A camera is *up* while online or degraded and *down* while offline, error or failed. Time no
server run covers (the server was stopped or had crashed), time before the camera existed and
time before its first recorded state are *unknown*: neither up nor down, and left out of the
ratio. Server runs come from the ``server_run`` table (start, heartbeat, stop).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rtcc.models import ServerRun
from rtcc.vocab import CAMERA_DOWN_STATES, CAMERA_UP_STATES

UNKNOWN = "unknown"
Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Change:
    state: str
    at: datetime


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    state: str  # a camera state, or "unknown"


@dataclass(frozen=True)
class Uptime:
    window_start: datetime
    window_end: datetime
    up_s: float
    known_s: float  # seconds of the window with a known state
    offline: list[tuple[datetime, datetime | None, str]]  # (from, to or None = ongoing, state)
    spans: list[Span] = field(default_factory=list)  # the whole window, unknown parts included

    @property
    def ratio(self) -> float | None:
        return self.up_s / self.known_s if self.known_s > 0 else None

    @property
    def unknown_s(self) -> float:
        return (self.window_end - self.window_start).total_seconds() - self.known_s


def _merge(intervals: Iterable[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    """``intervals`` clipped to ``[lo, hi]``, sorted and with overlaps joined."""
    out: list[Interval] = []
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _known_pieces(timeline: list[Change], now: datetime,
                  watched: list[Interval]) -> list[tuple[Span, bool]]:
    """Each state segment cut to the watched intervals; the flag marks the open last segment."""
    pieces: list[tuple[Span, bool]] = []
    for i, change in enumerate(timeline):
        last = i + 1 == len(timeline)
        end = now if last else timeline[i + 1].at
        for a, b in watched:
            lo, hi = max(a, change.at), min(b, end)
            if hi > lo:
                pieces.append((Span(lo, hi, change.state), last and hi == now))
    return pieces


def uptime(
    changes: Iterable[Change], *, now: datetime, hours: float = 24.0, before: Change | None = None,
    served: Sequence[Interval] | None = None, exists_from: datetime | None = None,
) -> Uptime:
    """Uptime, down intervals and the state spans over ``[now - hours, now]``.

    ``changes`` are the state changes inside the window (any order); ``before`` is the last
    change before the window (the state the window starts in), if any. ``served`` are the
    intervals a server was running (None: all of it); ``exists_from`` is when the camera was
    created. Everything else is unknown.
    """
    start = now - timedelta(hours=hours)
    timeline = sorted((c for c in changes if start <= c.at <= now), key=lambda c: c.at)
    if before is not None:
        timeline.insert(0, Change(before.state, start))
    lo = max(start, exists_from) if exists_from is not None else start
    watched = _merge(served if served is not None else [(start, now)], lo, now)
    up = known = 0.0
    down: list[tuple[datetime, datetime | None, str]] = []
    known_spans: list[Span] = []
    for span, open_end in _known_pieces(timeline, now, watched):
        seconds = (span.end - span.start).total_seconds()
        known += seconds
        known_spans.append(span)
        if span.state in CAMERA_UP_STATES:
            up += seconds
        if span.state in CAMERA_DOWN_STATES:
            closing = None if open_end else span.end
            if down and down[-1][1] == span.start:  # offline -> error: one outage
                down[-1] = (down[-1][0], closing, span.state)
            else:
                down.append((span.start, closing, span.state))
    return Uptime(start, now, up, known, down, _with_unknown(known_spans, start, now))


def _with_unknown(spans: list[Span], start: datetime, end: datetime) -> list[Span]:
    out: list[Span] = []
    at = start
    for s in spans:
        if s.start > at:
            out.append(Span(at, s.start, UNKNOWN))
        out.append(s)
        at = s.end
    if at < end:
        out.append(Span(at, end, UNKNOWN))
    return out


def served_intervals(
    session: Session, *, since: datetime, now: datetime, alive_within: timedelta
) -> list[Interval]:
    """When a server was running since ``since``: each run from its start to its stop or, for
    one that never said it stopped, to its last heartbeat (to ``now`` while it still beats)."""
    rows = session.scalars(
        select(ServerRun).where(
            or_(ServerRun.stopped_at.is_(None), ServerRun.stopped_at >= since),
            ServerRun.last_seen_at >= since - alive_within,
        ).order_by(ServerRun.started_at)
    )
    out: list[Interval] = []
    for run in rows:
        if run.stopped_at is not None:
            end = run.stopped_at
        elif now - run.last_seen_at <= alive_within:
            end = now
        else:
            end = run.last_seen_at
        out.append((run.started_at, end))
    return out
