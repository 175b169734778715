"""File side of retention: safe deletes under data_dir, and DB <-> disk reconciliation.

Media files are named by rows with paths relative to ``data_dir`` (read snapshots and crops
under ``media/``, video segments under ``video/``). A file is an *orphan* when no row names it
and it is older than a grace period (a worker writes the file just before ingest inserts the
row, so young files without a row are in flight, not orphans).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc.models import PlateRead, VideoSegment

MEDIA_ROOTS = ("media", "video")
CHUNK = 500
SAMPLE = 20


class UnsafePathError(ValueError):
    """A row names a path outside data_dir."""


def resolve(data_dir: Path, rel: str) -> Path:
    root = data_dir.resolve()
    path = (root / rel).resolve()
    if path == root or root not in path.parents:
        raise UnsafePathError(f"path {rel!r} is outside data_dir")
    return path


def remove(data_dir: Path, rel: str) -> int:
    """Delete one file; return its size (0 if it was already gone). OSError propagates."""
    path = resolve(data_dir, rel)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return size


def size_of(data_dir: Path, rel: str) -> int:
    try:
        return resolve(data_dir, rel).stat().st_size
    except (FileNotFoundError, UnsafePathError):
        return 0


@dataclass(frozen=True)
class DiskFile:
    rel: str
    size: int
    mtime: float


def scan(data_dir: Path) -> Iterator[DiskFile]:
    """Every regular file under the media roots, as paths relative to data_dir."""
    for root_name in MEDIA_ROOTS:
        root = data_dir / root_name
        if not root.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                full = Path(dirpath) / name
                try:
                    st = full.stat()
                except FileNotFoundError:
                    continue
                yield DiskFile(full.relative_to(data_dir).as_posix(), st.st_size, st.st_mtime)


def any_media(data_dir: Path) -> bool:
    return next(scan(data_dir), None) is not None


def referenced(session: Session, rels: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for col in (PlateRead.snapshot_path, PlateRead.crop_path, VideoSegment.path):
        found.update(p for p in session.scalars(select(col).where(col.in_(rels))) if p)
    return found


@dataclass
class Reconciliation:
    files_total: int = 0
    orphan_files: int = 0
    orphan_bytes: int = 0
    in_flight_files: int = 0  # younger than the grace period, no row yet
    missing_files: int = 0  # rows whose file is missing
    orphan_sample: list[str] = field(default_factory=list)
    missing_sample: list[str] = field(default_factory=list)
    orphans: list[DiskFile] = field(default_factory=list)


def find_orphans(
    session: Session, data_dir: Path, *, now: datetime, grace_s: float, keep: bool = False
) -> Reconciliation:
    """Files no row names, older than ``grace_s`` (``keep`` collects them for deletion)."""
    rec = Reconciliation()
    limit = now.timestamp() - grace_s
    batch: list[DiskFile] = []

    def flush() -> None:
        known = referenced(session, [f.rel for f in batch])
        for f in batch:
            if f.rel in known:
                continue
            if f.mtime > limit:
                rec.in_flight_files += 1
                continue
            rec.orphan_files += 1
            rec.orphan_bytes += f.size
            if len(rec.orphan_sample) < SAMPLE:
                rec.orphan_sample.append(f.rel)
            if keep:
                rec.orphans.append(f)
        batch.clear()

    for f in scan(data_dir):
        rec.files_total += 1
        batch.append(f)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    return rec


def find_missing(session: Session, data_dir: Path, rec: Reconciliation) -> None:
    """Count rows naming a file that is not on disk (pages by id)."""
    queries = (
        (PlateRead.id, PlateRead.snapshot_path, PlateRead.crop_path),
        (VideoSegment.id, VideoSegment.path, VideoSegment.path),
    )
    for id_col, a, b in queries:
        after = 0
        while True:
            rows = session.execute(
                select(id_col, a, b).where(id_col > after).order_by(id_col).limit(5000)
            ).all()
            if not rows:
                break
            after = rows[-1][0]
            for _id, p1, p2 in rows:
                for rel in {p1, p2} - {None}:
                    try:
                        present = resolve(data_dir, rel).is_file()
                    except UnsafePathError:
                        present = False
                    if not present:
                        rec.missing_files += 1
                        if len(rec.missing_sample) < SAMPLE:
                            rec.missing_sample.append(rel)
