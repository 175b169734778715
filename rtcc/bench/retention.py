"""``rtcc bench retention``: purge expired reads with their files while a writer inserts reads.

Prints purge seconds, rows/s, the writer's longest insert stall, and checks that nothing
expired remains and nothing unexpired was lost. The baseline, measured in the same run on a
fresh copy of the rows, is the naive purge: one big ``DELETE ... WHERE observed_at < cutoff``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from retention.executor import Executor, RunOptions
from rtcc.clock import SystemClock
from rtcc.config import RetentionSettings
from rtcc.db import make_engine, make_sessionmaker, migrate, transaction
from rtcc.models import Camera, PlateRead

DAY = timedelta(days=1)
_keys = count(1)


def register(bsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("retention", help="purge speed and writer stall during a purge")
    add_config(p)
    p.add_argument("--reads", type=int, default=1_000_000, help="expired reads to purge")
    p.add_argument("--keep", type=int, default=None, help="unexpired reads (default reads/10)")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument(
        "--files-per-read",
        type=int,
        choices=(0, 1, 2),
        default=2,
        help="JPEGs per read (snapshot, crop); 0 measures the database alone",
    )
    p.add_argument("--db", default=None, help="database URL (default: temporary SQLite file)")
    p.add_argument("--no-baseline", action="store_true", help="skip the naive one-DELETE run")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run)


def _row(now: datetime, age_days: float, files: int) -> dict[str, Any]:
    at = now - age_days * DAY
    key = f"b{next(_keys)}"
    base = f"media/reads/bench/{at:%Y-%m-%d}/{key}"
    return {
        "camera_id": "bench",
        "track_key": key,
        "plate": "BENCH1",
        "confidence": 0.9,
        "status": "final",
        "frames": 1,
        "format_ok": True,
        "observed_at": at,
        "last_seen_at": at,
        "snapshot_path": f"{base}-snap.jpg" if files >= 1 else None,
        "crop_path": f"{base}-crop.jpg" if files >= 2 else None,
        "created_at": at,
        "updated_at": at,
    }


def _seed(
    sessions: sessionmaker[Session],
    data_dir: Path | None,
    now: datetime,
    expired: int,
    keep: int,
    files: int = 2,
) -> None:
    with transaction(sessions) as s:
        s.add(Camera(id="bench", name="bench", created_at=now, updated_at=now))
    made_dirs: set[Path] = set()
    for total, lo, span in ((expired, 91.0, 29.0), (keep, 0.01, 88.0)):
        for start in range(0, total, 10_000):
            n = min(10_000, total - start)
            per = files if data_dir is not None else 0
            rows = [_row(now, lo + span * (start + i) / max(total, 1), per) for i in range(n)]
            if data_dir is not None:
                for r in rows:
                    for rel in filter(None, (r["snapshot_path"], r["crop_path"])):
                        path = data_dir / rel
                        if path.parent not in made_dirs:
                            path.parent.mkdir(parents=True, exist_ok=True)
                            made_dirs.add(path.parent)
                        path.write_bytes(b"\xff\xd8jpeg")
            with transaction(sessions) as s:
                s.execute(insert(PlateRead), rows)


class Writer(threading.Thread):
    """Inserts reads like ingest does (one short transaction each), timing every commit."""

    def __init__(self, sessions: sessionmaker[Session], interval_s: float = 0.005) -> None:
        super().__init__(name="bench-writer", daemon=True)
        self.sessions = sessions
        self.interval_s = interval_s
        self.stop_event = threading.Event()
        self.max_stall_s = 0.0
        self.stalls: list[float] = []
        self.inserted = 0

    def run(self) -> None:
        clock = SystemClock()
        while not self.stop_event.wait(self.interval_s):
            t0 = time.perf_counter()
            with transaction(self.sessions) as s:
                s.execute(insert(PlateRead), [_row(clock.now(), 0, 0)])
            took = time.perf_counter() - t0
            self.max_stall_s = max(self.max_stall_s, took)
            self.stalls.append(took)
            self.inserted += 1


def _p99_ms(stalls: list[float]) -> float:
    if not stalls:
        return 0.0
    ordered = sorted(stalls)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1)


def _counts(sessions: sessionmaker[Session], cutoff: datetime) -> tuple[int, int]:
    with sessions() as s:
        old = s.scalar(select(func.count()).where(PlateRead.observed_at < cutoff)) or 0
        young = s.scalar(select(func.count()).where(PlateRead.observed_at >= cutoff)) or 0
    return int(old), int(young)


def _purge_ours(
    url: str, data_dir: Path, reads: int, keep: int, batch: int, files: int
) -> dict[str, Any]:
    engine = make_engine(url, pool_size=4)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    now = SystemClock().now()
    _seed(sessions, data_dir, now, reads, keep, files)
    settings = RetentionSettings(batch_size=batch)
    ex = Executor(sessions=sessions, settings=settings, data_dir=data_dir, clock=SystemClock())
    writer = Writer(sessions)
    writer.start()
    t0 = time.perf_counter()
    result = ex.run(RunOptions(force=True))
    seconds = time.perf_counter() - t0
    writer.stop_event.set()
    writer.join()
    cutoff = now - 90 * DAY
    old, young = _counts(sessions, cutoff)
    media = data_dir / "media"
    files_left = sum(1 for _ in media.rglob("*.jpg")) if media.exists() else 0
    engine.dispose()
    return {
        "purge_seconds": round(seconds, 3),
        "rows_per_second": round(result.deleted_rows["plate_reads"] / seconds, 1),
        "writer_max_stall_ms": round(writer.max_stall_s * 1000, 1),
        "writer_p99_stall_ms": _p99_ms(writer.stalls),
        "writer_inserts": writer.inserted,
        "deleted_rows": result.deleted_rows["plate_reads"],
        "deleted_bytes": result.deleted_bytes["plate_reads"],
        "remaining_expired": old,
        "lost_unexpired": keep + writer.inserted - young,
        "files_left": files_left,
        "files_expected": files * keep,
        "run_status": result.status,
    }


def _purge_naive(url: str, reads: int, keep: int) -> dict[str, Any]:
    engine = make_engine(url, pool_size=4)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    now = SystemClock().now()
    _seed(sessions, None, now, reads, keep)
    writer = Writer(sessions)
    writer.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    with transaction(sessions) as s:
        s.execute(delete(PlateRead).where(PlateRead.observed_at < now - 90 * DAY))
    seconds = time.perf_counter() - t0
    writer.stop_event.set()
    writer.join()
    engine.dispose()
    return {
        "purge_seconds": round(seconds, 3),
        "rows_per_second": round(reads / seconds, 1),
        "writer_max_stall_ms": round(writer.max_stall_s * 1000, 1),
        "writer_p99_stall_ms": _p99_ms(writer.stalls),
    }


def _run(args: argparse.Namespace) -> int:
    keep = args.keep if args.keep is not None else max(1, args.reads // 10)
    with tempfile.TemporaryDirectory(prefix="rtcc-bench-ret-") as tmp:
        root = Path(tmp)
        url = args.db or f"sqlite:///{root / 'ours.db'}"
        out: dict[str, Any] = {
            "reads": args.reads,
            "keep": keep,
            "batch": args.batch,
            "files_per_read": args.files_per_read,
            "database": url.split("://")[0],
        }
        out.update(
            _purge_ours(url, root / "data", args.reads, keep, args.batch, args.files_per_read)
        )
        if not args.no_baseline:
            base_url = f"sqlite:///{root / 'naive.db'}" if args.db is None else args.db
            if args.db is None:
                out["baseline_one_delete"] = _purge_naive(base_url, args.reads, keep)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            print(f"{key}: {value}")
    return 0 if out["remaining_expired"] == 0 and out["lost_unexpired"] == 0 else 1
