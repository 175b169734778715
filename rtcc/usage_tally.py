"""Daily usage tallies: the counts of the transparency report, kept after retention purges rows.

One definition of each count, ``count_window(session, start, end)``, serves both sides: closing
a finished UTC day stores its counts in ``usage_tally`` (delete + insert, so closing a day again
over the same rows gives the same rows), and the report reads ``totals`` = stored tallies for
closed days + live counts for every part of the window that is not closed (the open tail).

A day must be closed before any of its rows is deleted: the retention executor calls
``close_days`` up to its latest cutoff first, and the runtime closes each finished day (and
recomputes recent days whose rows retention cannot have touched yet, so later dispositions of a
hit are counted). Keys never hold personal data: no plate, no username, no row ids.
Callers own the transaction; everything here flushes only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session

from rtcc.config import RetentionSettings
from rtcc.models import (
    AuditEvent,
    Camera,
    CameraStatus,
    Hit,
    PlateRead,
    UsageTally,
    VideoSegment,
)
from rtcc.vocab import CAMERA_UP_STATES, HitStatus

Key = tuple[str, str, str]  # (technology, metric, key)
Span = tuple[datetime, datetime]
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
CLOSED: Key = ("all", "day_closed", "")
SEARCH_ACTION = "reads.search"
EXPORT_ACTION = "reads.export"
UNSPECIFIED = "unspecified"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def day_of(at: datetime) -> date:
    return at.astimezone(UTC).date()


# --- the counts ------------------------------------------------------------------------------


def count_window(session: Session, start: datetime, end: datetime) -> Counter[Key]:
    """Every tallied count over ``[start, end)``; zero counts are left out."""
    out: Counter[Key] = Counter()
    _lpr(session, start, end, out)
    _searches(session, start, end, out)
    _video(session, start, end, out)
    return +out


def _lpr(session: Session, start: datetime, end: datetime, out: Counter[Key]) -> None:
    in_window = and_(PlateRead.observed_at >= start, PlateRead.observed_at < end)
    site = func.coalesce(Camera.site, "unassigned")
    for key, n in session.execute(
        select(site, func.count()).select_from(PlateRead)
        .outerjoin(Camera, Camera.id == PlateRead.camera_id).where(in_window).group_by(site)
    ):
        out["lpr", "reads", str(key)] += int(n)
    out["lpr", "reads_without_hit", ""] += int(session.scalar(
        select(func.count()).select_from(PlateRead)
        .where(in_window, ~exists().where(Hit.read_id == PlateRead.id))) or 0)
    hit_window = and_(Hit.observed_at >= start, Hit.observed_at < end)
    for status, reason, n in session.execute(
        select(Hit.status, Hit.reject_reason, func.count()).where(hit_window)
        .group_by(Hit.status, Hit.reject_reason)
    ):
        out["lpr", "hits", str(status)] += int(n)
        if status == HitStatus.REJECTED:
            out["lpr", "hits_rejected", str(reason or UNSPECIFIED)] += int(n)


def _searches(session: Session, start: datetime, end: datetime, out: Counter[Key]) -> None:
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.outcome, AuditEvent.role, AuditEvent.details)
        .where(AuditEvent.action.in_([SEARCH_ACTION, EXPORT_ACTION]), AuditEvent.at >= start,
               AuditEvent.at < end)
    ).all()
    for r in rows:
        if r.action == EXPORT_ACTION:
            out["lpr", "exports", ""] += int(r.outcome == "success")
        elif r.outcome == "success":
            out["lpr", "searches_by_purpose", _purpose(r.details)] += 1
            out["lpr", "searches_by_role", r.role or "unknown"] += 1
        else:
            out["lpr", "searches_refused", ""] += 1


def _purpose(details: Any) -> str:
    value = details.get("purpose") if isinstance(details, dict) else None
    return value if isinstance(value, str) and value else UNSPECIFIED


def _video(session: Session, start: datetime, end: datetime, out: Counter[Key]) -> None:
    seg = and_(VideoSegment.start_at >= start, VideoSegment.start_at < end)
    for s_at, e_at in session.execute(select(VideoSegment.start_at, VideoSegment.end_at)
                                      .where(seg)):
        out["video", "segments", ""] += 1
        out["video", "recorded_us", ""] += (e_at - s_at) // US
    up, known = uptime_us(session, start, end)
    out["video", "camera_up_us", ""] += up
    out["video", "camera_known_us", ""] += known


def uptime_us(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """Camera-time in an up state and camera-time with a known state over ``[start, end)``,
    in microseconds, from the status history (additive over adjacent windows)."""
    last = (select(CameraStatus.camera_id, func.max(CameraStatus.at).label("at"))
            .where(CameraStatus.at < start).group_by(CameraStatus.camera_id).subquery())
    state: dict[str, str] = {}
    for cam, st in session.execute(  # the state each camera was in at ``start``
        select(CameraStatus.camera_id, CameraStatus.state)
        .join(last, and_(last.c.camera_id == CameraStatus.camera_id,
                         last.c.at == CameraStatus.at)).order_by(CameraStatus.id)
    ):
        state[cam] = st  # on equal times the later row wins
    changes: dict[str, list[tuple[str, datetime]]] = {}
    for cam, st, at in session.execute(
        select(CameraStatus.camera_id, CameraStatus.state, CameraStatus.at)
        .where(CameraStatus.at >= start, CameraStatus.at < end)
        .order_by(CameraStatus.at, CameraStatus.id)
    ):
        changes.setdefault(cam, []).append((st, at))
    up = total = 0
    for cam in session.scalars(select(Camera.id)).all():
        current, since = state.get(cam), start
        for new_state, at in [*changes.get(cam, []), (None, end)]:
            if current is not None:
                span = (at - since) // US
                total += span
                up += span if current in CAMERA_UP_STATES else 0
            current, since = new_state, at
    return up, total


# --- closing days ----------------------------------------------------------------------------


def close_day(session: Session, day: date, *, now: datetime) -> int:
    """(Re)compute one finished day: delete its rows and insert them again. Returns rows."""
    start = day_start(day)
    if start + DAY > now:
        raise ValueError(f"day {day} is not finished at {now.isoformat()}")
    counts = count_window(session, start, start + DAY)
    counts[CLOSED] = 1
    session.execute(delete(UsageTally).where(UsageTally.day == day))
    session.add_all(UsageTally(day=day, technology=t, metric=m, key=k, count=int(n),
                               computed_at=now) for (t, m, k), n in sorted(counts.items()))
    session.flush()
    return len(counts)


def closed_days(session: Session, first: date, last: date) -> set[date]:
    """The closed days in ``[first, last)``."""
    return set(session.scalars(select(UsageTally.day).where(
        UsageTally.metric == CLOSED[1], UsageTally.day >= first, UsageTally.day < last)))


def earliest_activity(session: Session) -> date | None:
    cols = (PlateRead.observed_at, Hit.observed_at, AuditEvent.at, VideoSegment.start_at,
            CameraStatus.at)
    found = [at for at in (session.scalar(select(func.min(c))) for c in cols) if at is not None]
    return day_of(min(found)) if found else None


def close_days(
    session: Session, *, until: date, now: datetime, refresh_from: date | None = None,
) -> list[date]:
    """Close every day before ``until`` that has not been closed (from the first day with any
    activity), and recompute closed days from ``refresh_from`` on. Returns the days written."""
    if day_start(until) > now:
        raise ValueError(f"days up to {until} are not all finished at {now.isoformat()}")
    first = earliest_activity(session)
    if first is None or first >= until:
        return []
    done = closed_days(session, first, until)
    days = [first + i * DAY for i in range((until - first).days)]
    todo = [d for d in days if d not in done or (refresh_from is not None and d >= refresh_from)]
    for day in todo:
        close_day(session, day, now=now)
    return todo


def close_before(session: Session, cutoff: datetime, *, now: datetime) -> list[date]:
    """Make sure every day holding an instant before ``cutoff`` is closed (for retention:
    nothing older than its latest cutoff may be deleted untallied). Never recomputes."""
    return close_days(session, until=day_of(cutoff) + DAY, now=now)


def safe_refresh_days(settings: RetentionSettings) -> int:
    """How many recent finished days may be recomputed: days none of whose rows any retention
    class can have deleted yet (the shortest period, less one day)."""
    reads = settings.plate_reads_days
    video = settings.video_days
    space = settings.video_free_space
    if space.below_mb is not None:  # video may go for space once it is keep_hours old
        video = min(video, int(space.keep_hours // 24))
    periods = (video, reads, settings.hit_reads_days or reads,
               settings.hits_days or reads, settings.camera_status_days)
    return max(0, min(periods) - 1)


# --- reading ---------------------------------------------------------------------------------


def totals(session: Session, start: datetime, end: datetime) -> Counter[Key]:
    """Counts over ``[start, end)``: tallies for closed whole days, live counts elsewhere."""
    out: Counter[Key] = Counter()
    if end <= start:
        return out
    first = day_of(start) + (DAY if day_start(day_of(start)) < start else timedelta())
    last = day_of(end)  # whole days are [first, last)
    closed = sorted(closed_days(session, first, last)) if first < last else []
    if closed:
        for t, m, k, n in session.execute(
            select(UsageTally.technology, UsageTally.metric, UsageTally.key,
                   func.sum(UsageTally.count))
            .where(UsageTally.day.in_(closed), UsageTally.metric != CLOSED[1])
            .group_by(UsageTally.technology, UsageTally.metric, UsageTally.key)
        ):
            out[t, m, k] += int(n)
    for gap_start, gap_end in _gaps(start, end, closed):
        out.update(count_window(session, gap_start, gap_end))
    return +out


def _gaps(start: datetime, end: datetime, closed: Iterable[date]) -> list[Span]:
    """The parts of ``[start, end)`` not covered by the (sorted, inside) closed days."""
    gaps: list[Span] = []
    cursor = start
    for day in closed:
        if cursor < day_start(day):
            gaps.append((cursor, day_start(day)))
        cursor = day_start(day) + DAY
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def by_key(counts: Counter[Key], technology: str, metric: str) -> dict[str, int]:
    return {k: n for (t, m, k), n in sorted(counts.items()) if (t, m) == (technology, metric)}


def total(counts: Counter[Key], technology: str, metric: str) -> int:
    return sum(by_key(counts, technology, metric).values())
