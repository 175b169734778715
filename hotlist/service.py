"""Hotlist and hit operations on a session (callers commit)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotlist.importer import ParsedEntry
from hotlist.matcher import Match
from rtcc.models import Hit, Hotlist, HotlistEntry, PlateRead


def replace_list(
    session: Session,
    *,
    name: str,
    entries: list[ParsedEntry],
    now: datetime,
    kind: str = "custom",
    priority: int = 50,
    added_by: str | None = None,
) -> Hotlist:
    hotlist = session.scalar(select(Hotlist).where(Hotlist.name == name))
    if hotlist is None:
        hotlist = Hotlist(
            name=name, kind=kind, priority=priority, created_at=now, updated_at=now
        )
        session.add(hotlist)
        session.flush()
    else:
        session.execute(delete(HotlistEntry).where(HotlistEntry.hotlist_id == hotlist.id))
        hotlist.updated_at = now
    session.add_all(
        HotlistEntry(
            hotlist_id=hotlist.id,
            plate=e.plate,
            state=e.state,
            reason=e.reason,
            extra=e.extra or None,
            added_by=added_by,
            added_at=now,
        )
        for e in entries
    )
    session.flush()
    return hotlist


def record_hit(
    session: Session, *, read: PlateRead, match: Match, now: datetime, dedup_window_s: float
) -> tuple[Hit, bool]:
    """Store a hit for ``read``; the same read, or the same plate and entry on the same camera
    within the window, updates the existing hit. Returns (hit, created)."""
    entry = match.entry
    existing = session.scalar(
        select(Hit).where(Hit.read_id == read.id, Hit.entry_id == entry.entry_id)
    )
    if existing is None and dedup_window_s > 0:
        existing = session.scalar(
            select(Hit)
            .where(
                Hit.entry_id == entry.entry_id,
                Hit.camera_id == read.camera_id,
                Hit.plate == read.plate,
                Hit.last_seen_at >= read.observed_at - timedelta(seconds=dedup_window_s),
            )
            .order_by(Hit.id.desc())
            .limit(1)
        )
    if existing is not None:
        if existing.read_id != read.id:
            existing.occurrences += 1
        existing.read_id = read.id
        existing.plate = read.plate
        existing.last_seen_at = max(existing.last_seen_at, read.last_seen_at)
        existing.updated_at = now
        session.flush()
        return existing, False
    hit = Hit(
        read_id=read.id,
        entry_id=entry.entry_id,
        hotlist_id=entry.hotlist_id,
        camera_id=read.camera_id,
        plate=read.plate,
        entry_plate=entry.plate,
        hotlist_name=entry.hotlist_name,
        reason=entry.reason,
        priority=entry.priority,
        match_type=match.match_type,
        distance=match.distance,
        diff=[list(d) for d in match.diff] or None,
        needs_confirmation=match.needs_confirmation,
        status="new",
        observed_at=read.observed_at,
        last_seen_at=read.last_seen_at,
        created_at=now,
        updated_at=now,
    )
    session.add(hit)
    session.flush()
    return hit, True
