"""File side of retention: safe deletes under data_dir, and DB <-> disk reconciliation.

Media files are named by rows with paths relative to ``data_dir`` (read snapshots and crops
under ``media/reads/``, video segments under ``video/``; nothing else is swept). A file is an
*orphan* when no row names it and it is older than a grace period (a worker writes the file
just before ingest inserts the row, so young files without a row are in flight, not orphans).
A finalized video segment without a row (its announcement was lost in a crash) is indexed
instead (:func:`index_segments`), so the video policy keeps it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import segment_names
from rtcc.models import Camera, PlateRead, VideoSegment

MEDIA_ROOTS = ("media/reads", "video")  # only the trees whose files rows name
# A read names its final files and, once the final replaced its preview, the preview's files.
READ_FILES = (
    PlateRead.snapshot_path,
    PlateRead.crop_path,
    PlateRead.preview_snapshot_path,
    PlateRead.preview_crop_path,
)
CHUNK = 500
SAMPLE = 20


class UnsafePathError(ValueError):
    """A row names a path outside data_dir."""


def resolve(data_dir: Path, rel: str) -> Path:
    """``data_dir / rel``, refusing absolute paths and ``..`` (lexical: no symlink is followed,
    and unlink removes a link itself, never its target)."""
    norm = os.path.normpath(rel)
    if os.path.isabs(norm) or norm == "." or norm.split(os.sep, 1)[0] == "..":
        raise UnsafePathError(f"path {rel!r} is outside data_dir")
    return data_dir / norm


def remove(data_dir: Path, rel: str) -> int:
    """Delete one file; return its size (0 if it was already gone). OSError propagates."""
    path = os.fspath(resolve(data_dir, rel))
    try:
        size = os.stat(path).st_size
        os.unlink(path)
    except FileNotFoundError:
        return 0
    return size


def remove_all(data_dir: Path, rels: Sequence[str]) -> int:
    """Delete every file of one item; return the bytes freed. Every path is checked first."""
    for rel in rels:
        resolve(data_dir, rel)
    return sum(remove(data_dir, rel) for rel in rels)


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
    for col in (*READ_FILES, VideoSegment.path):
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


_PATH_QUERIES: tuple[tuple[Any, ...], ...] = (
    (PlateRead.id, PlateRead.snapshot_path, PlateRead.crop_path),
    (PlateRead.id, PlateRead.preview_snapshot_path, PlateRead.preview_crop_path),
    (VideoSegment.id, VideoSegment.path, VideoSegment.path),
)


class PathIndex:
    """Every path the database names, as sorted 64-bit hashes (16 MB per million reads).

    A hash collision can only make an orphan look named (it is then kept): the safe side.
    """

    def __init__(self, session: Session, page_size: int = 20_000) -> None:
        chunks: list[np.ndarray[Any, np.dtype[np.uint64]]] = []
        queries = _PATH_QUERIES
        for id_col, a, b in queries:
            after = 0
            while rows := session.execute(
                select(id_col, a, b).where(id_col > after).order_by(id_col).limit(page_size)
            ).all():
                after = rows[-1][0]
                hashes = (_hash(p) for r in rows for p in (r[1], r[2]) if p)
                chunks.append(np.fromiter(hashes, dtype=np.uint64))
        self._sorted = np.unique(np.concatenate(chunks)) if chunks else np.array([], np.uint64)

    def __contains__(self, rel: str) -> bool:
        h = np.uint64(_hash(rel))
        i = int(np.searchsorted(self._sorted, h))
        return i < len(self._sorted) and self._sorted[i] == h


def _hash(rel: str) -> int:
    return int.from_bytes(hashlib.blake2b(rel.encode(), digest_size=8).digest(), "little")


def find_orphans(
    session: Session, data_dir: Path, *, now: datetime, grace_s: float, keep: bool = False
) -> Reconciliation:
    """Files no row names, older than ``grace_s`` (``keep`` collects them for deletion).

    The index of named paths is built before the disk walk, so a file whose row arrives
    during the walk is young (in flight), never an orphan.
    """
    rec = Reconciliation()
    limit = now.timestamp() - grace_s
    named = PathIndex(session)
    for f in scan(data_dir):
        rec.files_total += 1
        if f.rel in named:
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
    return rec


def find_missing(session: Session, data_dir: Path, rec: Reconciliation) -> None:
    """Count rows naming a file that is not on disk (pages by id)."""
    queries = _PATH_QUERIES
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
                for rel in {p for p in (p1, p2) if p}:
                    try:
                        present = resolve(data_dir, rel).is_file()
                    except UnsafePathError:
                        present = False
                    if not present:
                        rec.missing_files += 1
                        if len(rec.missing_sample) < SAMPLE:
                            rec.missing_sample.append(rel)


MAX_SEGMENT = timedelta(hours=1)  # cameras.segment_seconds is at most 3600


def index_segments(session: Session, found: Sequence[DiskFile], *, now: datetime
                   ) -> list[DiskFile]:
    """Index the finalized video segments among ``found`` (files no row names) and return
    the files that are left: true orphans.

    A segment finalized just before a crash was announced but never indexed; it is evidence
    kept by the video policy, not debris. Its start comes from its name, its end from the
    time the file was last written (bounded by the longest segment); a segment whose camera
    no longer exists stays an orphan.
    """
    cameras = set(session.scalars(select(Camera.id)))
    left: list[DiskFile] = []
    for f in found:
        named = segment_names.finalized(f.rel)
        if named is None or named[0] not in cameras:
            left.append(f)
            continue
        camera_id, start = named
        written = datetime.fromtimestamp(f.mtime, UTC)
        end = min(max(written, start), start + MAX_SEGMENT)
        session.add(VideoSegment(camera_id=camera_id, start_at=start, end_at=end, path=f.rel,
                                 bytes=f.size, created_at=now))
    session.flush()
    return left
