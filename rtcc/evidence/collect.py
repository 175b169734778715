"""What goes into a package, read from the database as plain data (no ORM object leaves here).

``resolve_*`` turn a hit, a read, a set of search results or a gunshot alert into cameras and a
window; :func:`collect` gathers that window's segments, reads, hits (with their dispositions)
and the audit events about those items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from rtcc.errors import InvalidInputError, NotFoundError
from rtcc.evidence.clip import Source
from rtcc.models import (
    AuditEvent,
    Camera,
    GunshotAlert,
    GunshotBookmark,
    Hit,
    HitEvent,
    PlateRead,
    VideoSegment,
)

MAX_READS = 5_000  # per package: a larger search result is not one piece of evidence
CUSTODY_ACTIONS = ("evidence.", "hold.")  # the package's own trail, kept in the custody log


@dataclass(frozen=True)
class Scope:
    """Which cameras, over which window, and where the request came from."""

    cameras: tuple[str, ...]
    start_at: datetime
    end_at: datetime
    source_kind: str  # hit | read | reads | gunshot | window
    source_id: int | None = None
    read_ids: tuple[int, ...] = ()  # search results: exactly these reads


@dataclass(frozen=True)
class Visible:
    """SQL filters limiting reads and hits to what the requesting user may see (API callers)."""

    reads: ColumnElement[bool]
    hits: ColumnElement[bool]


@dataclass
class Collected:
    cameras: list[dict[str, Any]]
    sources: dict[str, list[Source]]  # camera id -> segments overlapping the window
    segments: list[dict[str, Any]]
    reads: list[dict[str, Any]]
    hits: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    images: list[tuple[str, str]] = field(default_factory=list)  # (data_dir rel, package rel)


def plain(row: Any) -> dict[str, Any]:
    """Every column of a row, with times as ISO-8601 text (stable for hashing)."""
    out: dict[str, Any] = {}
    for col in row.__table__.columns:
        value = getattr(row, col.key)
        out[col.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def resolve_hit(session: Session, hit_id: int, *, pre: timedelta, post: timedelta) -> Scope:
    hit = session.get(Hit, hit_id)
    if hit is None:
        raise NotFoundError(f"hit {hit_id} not found", field="hit_id")
    return Scope((hit.camera_id,), hit.observed_at - pre, hit.last_seen_at + post, "hit", hit_id)


def resolve_read(session: Session, read_id: int, *, pre: timedelta, post: timedelta) -> Scope:
    read = session.get(PlateRead, read_id)
    if read is None:
        raise NotFoundError(f"read {read_id} not found", field="read_id")
    return Scope(
        (read.camera_id,), read.observed_at - pre, read.last_seen_at + post, "read", read_id
    )


def resolve_reads(
    session: Session, read_ids: Sequence[int], *, pre: timedelta, post: timedelta
) -> Scope:
    """Search results: the cameras of these reads, from the first to the last of them."""
    ids = sorted(set(read_ids))
    if not ids or len(ids) > MAX_READS:
        raise InvalidInputError(f"read_ids: 1 to {MAX_READS} reads", field="read_ids")
    rows = list(session.scalars(select(PlateRead).where(PlateRead.id.in_(ids))))
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise NotFoundError(f"read(s) {missing[:10]} not found", field="read_ids")
    cams = tuple(sorted({r.camera_id for r in rows}))
    start = min(r.observed_at for r in rows) - pre
    end = max(r.last_seen_at for r in rows) + post
    return Scope(cams, start, end, "reads", None, tuple(ids))


def resolve_gunshot(session: Session, alert_row_id: int) -> Scope:
    """A gunshot alert: the cameras bookmarked for it, over the union of their windows."""
    alert = session.get(GunshotAlert, alert_row_id)
    if alert is None:
        raise NotFoundError(f"gunshot alert {alert_row_id} not found", field="gunshot_id")
    marks = list(session.scalars(select(GunshotBookmark).where(
        GunshotBookmark.source == alert.source, GunshotBookmark.alert_id == alert.alert_id
    )))
    if not marks:
        raise InvalidInputError(
            f"gunshot alert {alert_row_id}: no camera covers it (no bookmarks)", field="gunshot_id"
        )
    cams = tuple(sorted({m.camera_id for m in marks}))
    start = min(m.start_at for m in marks)
    end = max(m.end_at for m in marks)
    return Scope(cams, start, end, "gunshot", alert_row_id)


def overlapping_segments(
    session: Session, camera_id: str, start: datetime, end: datetime
) -> list[VideoSegment]:
    stmt = (
        select(VideoSegment)
        .where(VideoSegment.camera_id == camera_id)
        .where(VideoSegment.start_at < end, VideoSegment.end_at > start)
        .order_by(VideoSegment.start_at, VideoSegment.id)
    )
    return list(session.scalars(stmt))


def _reads(session: Session, scope: Scope, visible: Visible | None) -> list[PlateRead]:
    if scope.read_ids:
        stmt = select(PlateRead).where(PlateRead.id.in_(scope.read_ids))
    else:
        stmt = (
            select(PlateRead)
            .where(PlateRead.camera_id.in_(scope.cameras))
            .where(PlateRead.observed_at >= scope.start_at, PlateRead.observed_at < scope.end_at)
            .limit(MAX_READS + 1)
        )
    if visible is not None:
        stmt = stmt.where(visible.reads)
    rows = sorted(session.scalars(stmt), key=lambda r: (r.observed_at, r.id))
    if len(rows) > MAX_READS:
        raise InvalidInputError(
            f"window: more than {MAX_READS} reads; narrow the window", field="window"
        )
    return rows


def _hits(
    session: Session, scope: Scope, read_ids: list[int], visible: Visible | None
) -> list[Hit]:
    in_window = (
        Hit.camera_id.in_(scope.cameras)
        & (Hit.observed_at >= scope.start_at)
        & (Hit.observed_at < scope.end_at)
    )
    by_read = Hit.read_id.in_(read_ids)
    cond = by_read if scope.read_ids else or_(in_window, by_read)
    if scope.source_kind == "hit" and scope.source_id is not None:
        cond = or_(cond, Hit.id == scope.source_id)
    stmt = select(Hit).where(cond)
    if visible is not None:
        stmt = stmt.where(visible.hits)
    return sorted(session.scalars(stmt), key=lambda h: (h.observed_at, h.id))


def _image_name(read: PlateRead, kind: str, rel: str) -> str:
    return f"stills/read-{read.id}-{kind}{Path(rel).suffix.lower() or '.jpg'}"


def collect(
    session: Session, scope: Scope, *, data_dir: Path, before: datetime,
    visible: Visible | None = None,
) -> Collected:
    """Everything about ``scope`` as plain data; audit events up to ``before`` only."""
    cameras = []
    for cam_id in scope.cameras:
        cam = session.get(Camera, cam_id)
        cameras.append({"id": cam_id, "name": cam.name if cam else cam_id})
    sources: dict[str, list[Source]] = {}
    segments: list[dict[str, Any]] = []
    for cam_id in scope.cameras:
        rows = overlapping_segments(session, cam_id, scope.start_at, scope.end_at)
        sources[cam_id] = [
            Source(r.id, data_dir / r.path, r.start_at, r.end_at) for r in rows
        ]
        segments += [plain(r) for r in rows]
    reads = _reads(session, scope, visible)
    read_ids = [r.id for r in reads]
    hits = _hits(session, scope, read_ids, visible)
    images: list[tuple[str, str]] = []
    read_out = []
    for r in reads:
        item = plain(r)
        for kind, rel in (("snapshot", r.snapshot_path), ("crop", r.crop_path)):
            item[f"{kind}_file"] = _image_name(r, kind, rel) if rel else None
            if rel:
                images.append((rel, item[f"{kind}_file"]))
        read_out.append(item)
    hit_out = []
    for h in hits:
        events = session.scalars(
            select(HitEvent).where(HitEvent.hit_id == h.id).order_by(HitEvent.at, HitEvent.id)
        )
        item = {**plain(h), "disposition": h.status, "history": [plain(e) for e in events]}
        shown = {rel for rel, _ in images}
        for kind, rel in (("snapshot", h.snapshot_path), ("crop", h.crop_path)):
            # the images the hit was raised on (a preview's files, when the read went final)
            if rel and rel not in shown and (data_dir / rel).is_file():
                item[f"{kind}_file"] = f"stills/hit-{h.id}-{kind}{Path(rel).suffix.lower()}"
                images.append((rel, item[f"{kind}_file"]))
        hit_out.append(item)
    targets = [f"read:{i}" for i in read_ids] + [f"hit:{h.id}" for h in hits]
    return Collected(
        cameras=cameras,
        sources=sources,
        segments=segments,
        reads=read_out,
        hits=hit_out,
        audit=_audit(session, targets, before),
        images=images,
    )


def _audit(session: Session, targets: list[str], before: datetime) -> list[dict[str, Any]]:
    """Audit events about the items (their own chain hashes kept, so they can be checked)."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(targets), 500):
        chunk = targets[start : start + 500]
        stmt = select(AuditEvent).where(AuditEvent.target.in_(chunk), AuditEvent.at <= before)
        out += [
            plain(e) for e in session.scalars(stmt) if not e.action.startswith(CUSTODY_ACTIONS)
        ]
    return sorted(out, key=lambda e: int(e["id"]))
