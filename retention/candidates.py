"""Database side of retention: page expired candidates per class, count, delete rows by id.

Pages are keyset-ordered by id so held items (which stay) never stall the paging.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from retention.plan import Candidate, DataClass, Policy
from rtcc.models import CameraStatus, Hit, HitSighting, PlateRead, VideoSegment

# Order matters: hits go before reads, so a read whose hit expired follows the read period.
JOB_CLASSES: tuple[str, ...] = ("video", "hits", "plate_reads", "camera_status")


@dataclass(frozen=True)
class Cutoffs:
    """The instants before which each class is expired, from one ``now``."""

    values: dict[str, datetime]

    @classmethod
    def of(cls, policy: Policy, now: datetime) -> Cutoffs:
        return cls(policy.cutoffs(now))

    def __getitem__(self, name: str) -> datetime:
        return self.values[name]


def _model_time(name: str) -> tuple[Any, Any]:
    if name == "video":
        return VideoSegment, VideoSegment.end_at
    if name == "hits":
        return Hit, Hit.last_seen_at
    if name == "plate_reads":
        return PlateRead, PlateRead.observed_at
    if name == "camera_status":
        return CameraStatus, CameraStatus.at
    raise ValueError(f"unknown data class {name!r}")


def has_hit() -> ColumnElement[bool]:
    """The read raised a hit or is a later sighting of one (both are the hit's evidence)."""
    return or_(  # type: ignore[no-any-return]
        exists().where(Hit.read_id == PlateRead.id),
        exists().where(HitSighting.read_id == PlateRead.id),
    )


def _hit_still_kept(cut: Cutoffs) -> ColumnElement[bool]:
    """A hit of this read was seen within the hit-read period: all its reads stay with it."""
    recent = Hit.last_seen_at >= cut["hit_reads"]
    return or_(  # type: ignore[no-any-return]
        exists().where(Hit.read_id == PlateRead.id, recent),
        exists().where(HitSighting.read_id == PlateRead.id, HitSighting.hit_id == Hit.id, recent),
    )


def expired_clause(name: str, cut: Cutoffs) -> ColumnElement[bool]:
    """SQL pre-filter: every row that may be expired under ``cut`` (the plan decides exactly)."""
    _, col = _model_time(name)
    if name != "plate_reads":
        return col < cut[name]  # type: ignore[no-any-return]
    with_hit = has_hit()
    return or_(  # type: ignore[no-any-return]
        and_(PlateRead.observed_at < cut["plate_reads"], ~with_hit),
        and_(PlateRead.observed_at < cut["hit_reads"], with_hit, ~_hit_still_kept(cut)),
    )


def row_guard(name: str, cut: Cutoffs) -> ColumnElement[bool]:
    """A loose re-check at delete time: never delete a row newer than the latest cutoff."""
    _, col = _model_time(name)
    if name == "plate_reads":
        return col < max(cut["plate_reads"], cut["hit_reads"])  # type: ignore[no-any-return]
    return col < cut[name]  # type: ignore[no-any-return]


def count_all(session: Session, name: str) -> int:
    model, _ = _model_time(name)
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def count_expired(session: Session, name: str, cut: Cutoffs) -> int:
    model, _ = _model_time(name)
    stmt = select(func.count()).select_from(model).where(expired_clause(name, cut))
    return int(session.scalar(stmt) or 0)


def oldest(session: Session, name: str) -> datetime | None:
    _, col = _model_time(name)
    return session.scalar(select(func.min(col)))


_COLUMNS: dict[str, tuple[Any, ...]] = {
    "video": (VideoSegment.id, VideoSegment.end_at, VideoSegment.camera_id, VideoSegment.path),
    "hits": (Hit.id, Hit.last_seen_at, Hit.camera_id, Hit.plate),
    "plate_reads": (
        PlateRead.id,
        PlateRead.observed_at,
        PlateRead.camera_id,
        PlateRead.plate,
        PlateRead.snapshot_path,
        PlateRead.crop_path,
        PlateRead.preview_snapshot_path,
        PlateRead.preview_crop_path,
    ),
    "camera_status": (CameraStatus.id, CameraStatus.at, CameraStatus.camera_id),
}


def page(
    session: Session, name: str, cut: Cutoffs, *, after_id: int, limit: int
) -> list[Candidate]:
    """Up to ``limit`` possibly expired items with id > ``after_id``, in id order."""
    model, _ = _model_time(name)
    stmt = (
        select(*_COLUMNS[name])
        .where(expired_clause(name, cut), model.id > after_id)
        .order_by(model.id)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    if name == "plate_reads":
        return _read_candidates(session, rows)
    if name == "video":
        return [Candidate("video", r[0], r[1], camera_id=r[2], files=(r[3],)) for r in rows]
    if name == "hits":
        return [Candidate("hits", r[0], r[1], camera_id=r[2], plate=r[3]) for r in rows]
    return [Candidate("camera_status", r[0], r[1], camera_id=r[2]) for r in rows]


def _read_candidates(session: Session, rows: Sequence[Any]) -> list[Candidate]:
    hits: dict[int, list[int]] = defaultdict(list)
    if rows:
        ids = [r[0] for r in rows]
        for hit_id, read_id in session.execute(
            select(Hit.id, Hit.read_id)
            .where(Hit.read_id.in_(ids))
            .union(
                select(HitSighting.hit_id, HitSighting.read_id).where(HitSighting.read_id.in_(ids))
            )
        ):
            if read_id is not None:
                hits[read_id].append(hit_id)
    dc: DataClass = "plate_reads"
    return [
        Candidate(
            dc,
            rid,
            at,
            camera_id=cam,
            plate=plate,
            files=tuple(dict.fromkeys(p for p in paths if p)),
            hit_ids=tuple(sorted(set(hits.get(rid, ())))),
        )
        for rid, at, cam, plate, *paths in rows
    ]


def delete_rows(session: Session, name: str, ids: Sequence[int], cut: Cutoffs) -> int:
    """Delete rows by id (guarded by the cutoff); flushes only, the caller commits."""
    if not ids:
        return 0
    model, _ = _model_time(name)
    result = session.execute(
        delete(model).where(model.id.in_(list(ids)), row_guard(name, cut)),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- free space: the oldest video first, whatever its age ------------------------------------


def oldest_video(
    session: Session, *, before: datetime, after: tuple[datetime, int] | None, limit: int
) -> list[Candidate]:
    """Up to ``limit`` segments that ended before ``before``, oldest first (``end_at``, id),
    after the keyset ``after`` (the last item of the previous page)."""
    stmt = select(*_COLUMNS["video"], VideoSegment.bytes).where(VideoSegment.end_at < before)
    if after is not None:
        at, last_id = after
        later = and_(VideoSegment.end_at == at, VideoSegment.id > last_id)
        stmt = stmt.where(or_(VideoSegment.end_at > at, later))
    stmt = stmt.order_by(VideoSegment.end_at, VideoSegment.id).limit(limit)
    return [
        Candidate("video", r[0], r[1], camera_id=r[2], files=(r[3],), size=int(r[4] or 0))
        for r in session.execute(stmt)
    ]


def delete_video_rows(session: Session, ids: Sequence[int], *, before: datetime) -> int:
    """Delete segment rows by id, guarded: never one that ended at or after ``before``."""
    if not ids:
        return 0
    result = session.execute(
        delete(VideoSegment).where(VideoSegment.id.in_(list(ids)), VideoSegment.end_at < before),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
