"""The thin executor: pages candidates, deletes files then rows in short batches.

Crash safety comes from the order: a batch first removes its files, then deletes its rows in one
short transaction. Killed between the two, the rows remain (still expired, now pointing to
missing files) and the next run completes them (a missing file counts as already deleted).
Rows are never deleted before their files, so the job itself never leaves an orphan file;
orphans left by others (a worker killed between writing a JPEG and ingest) are swept once older
than ``orphan_grace_s``. One run at a time: a file lock in data_dir, released by the OS on kill.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from retention import candidates as cand
from retention import files
from retention.free_space import FreeSpacePass, disk_free
from retention.holds import active_specs
from retention.plan import Candidate, Plan, Policy, explained_by_time, plan
from rtcc import audit, datadir, usage_tally
from rtcc.audit import SYSTEM, Actor
from rtcc.bus.outbox import waiting_in
from rtcc.clock import Clock, as_utc
from rtcc.config import RetentionSettings
from rtcc.db import transaction
from rtcc.errors import ConflictError, InvalidInputError
from rtcc.models import PlateRead, RetentionRun, VideoSegment

log = logging.getLogger(__name__)
LOCK_NAME = ".retention.lock"
FILE_WORKERS = 4


class RetentionRefusedError(ConflictError):
    code = "retention_refused"


def policy_from_settings(s: RetentionSettings) -> Policy:
    reads = s.plate_reads_days
    return Policy(
        video=s.video_days,
        plate_reads=reads,
        hit_reads=s.hit_reads_days or reads,
        hits=s.hits_days or reads,
        camera_status=s.camera_status_days,
        audit=s.audit_days,
    )


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    force: bool = False
    now: datetime | None = None  # only with dry_run: "what would this date purge?"
    actor: Actor = SYSTEM
    # The in-server schedule: an expiry over the safety threshold proceeds when it is
    # explained by time (``plan.explained_by_time``); anything else is refused and alerted.
    scheduled: bool = False


@dataclass
class RunResult:
    run_id: int
    status: str = "running"  # ok | refused | failed
    dry_run: bool = False
    now: datetime | None = None
    cutoffs: dict[str, str] = field(default_factory=dict)
    deleted_rows: Counter[str] = field(default_factory=Counter)
    deleted_bytes: Counter[str] = field(default_factory=Counter)
    skipped_held: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a large expiry explained by time
    free_space: dict[str, Any] | None = None  # retention.video_free_space figures, when on

    def refuse(self, message: str) -> None:
        self.refusals.append(message)
        self.errors.append(message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "dry_run": self.dry_run,
            "now": self.now.isoformat() if self.now else None,
            "cutoffs": self.cutoffs,
            "deleted_rows": dict(self.deleted_rows),
            "deleted_bytes": dict(self.deleted_bytes),
            "skipped_held": dict(self.skipped_held),
            "errors": capped(self.errors),
            **({"free_space": self.free_space} if self.free_space is not None else {}),
        }


def capped(errors: list[str], limit: int = 100) -> list[str]:
    """At most ``limit`` messages (the run record and audit entry stay small)."""
    if len(errors) <= limit:
        return list(errors)
    return [*errors[:limit], f"... and {len(errors) - limit} more"]


@contextmanager
def run_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError("another retention run is in progress") from None
        yield
    finally:
        os.close(fd)


def _explained(name: str, cut: cand.Cutoffs, now: datetime, last: RetentionRun) -> bool:
    """Whether ``name``'s cutoffs moved only with time since the ``last`` successful run."""
    classes = ("plate_reads", "hit_reads") if name == "plate_reads" else (name,)
    before = last.cutoffs or {}
    return all(
        c in before and explained_by_time(
            cutoff=cut[c], now=now, last_cutoff=as_utc(datetime.fromisoformat(before[c])),
            last_now=as_utc(last.started_at))
        for c in classes
    )


class Executor:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: RetentionSettings,
        data_dir: Path,
        clock: Clock,
        after_run: Callable[[RunResult], None] | None = None,
        free: Callable[[Path], int] = disk_free,  # the data folder's free bytes (injectable)
    ) -> None:
        self.free_space = FreeSpacePass(sessions=sessions, settings=settings, data_dir=data_dir,
                                        free=free)
        self.sessions = sessions
        self.settings = settings
        self.data_dir = data_dir
        self.clock = clock
        self.after_run = after_run  # e.g. sign an audit checkpoint (not after dry runs)
        self.policy = policy_from_settings(settings)
        self._pool: ThreadPoolExecutor

    def run(self, options: RunOptions = RunOptions()) -> RunResult:
        if options.now is not None and not options.dry_run:
            raise InvalidInputError("--now is only allowed with --dry-run", field="now")
        with run_lock(self.data_dir):
            self._close_interrupted()
            now = options.now or self.clock.now()
            result = self._start(now, options)
            self._pool = ThreadPoolExecutor(max_workers=FILE_WORKERS, thread_name_prefix="ret-rm")
            try:
                self._execute(result, now, options)
            except RetentionRefusedError as exc:
                result.refuse(exc.message)
                result.status = "refused"
                self._finish(result, options)
                raise
            except Exception as exc:
                result.status = "failed"
                result.errors.append(f"{type(exc).__name__}: {exc}")
                self._finish(result, options)
                raise
            finally:
                self._pool.shutdown()
            self._finish(result, options)
            return result

    # --- run record --------------------------------------------------------------------

    def _close_interrupted(self) -> None:
        """We hold the lock, so any run still marked running was killed."""
        with transaction(self.sessions) as s:
            s.execute(
                update(RetentionRun)
                .where(RetentionRun.status == "running")
                .values(status="interrupted", errors=["interrupted (process died mid-run)"])
            )

    def _start(self, now: datetime, options: RunOptions) -> RunResult:
        cut = cand.Cutoffs.of(self.policy, now)
        cutoffs = {k: v.isoformat() for k, v in cut.values.items()}
        with transaction(self.sessions) as s:
            row = RetentionRun(
                started_at=self.clock.now(),
                dry_run=options.dry_run,
                status="running",
                triggered_by=options.actor.username,
                cutoffs=cutoffs,
            )
            s.add(row)
            s.flush()
            run_id = row.id
        return RunResult(run_id=run_id, dry_run=options.dry_run, now=now, cutoffs=cutoffs)

    def _finish(self, result: RunResult, options: RunOptions) -> None:
        with transaction(self.sessions) as s:
            row = s.get(RetentionRun, result.run_id)
            assert row is not None
            row.finished_at = self.clock.now()
            row.status = result.status
            row.deleted_rows = dict(result.deleted_rows)
            row.deleted_bytes = dict(result.deleted_bytes)
            row.skipped_held = dict(result.skipped_held)
            row.errors = capped(result.errors)
            audit.record(
                s,
                now=row.finished_at,
                actor=options.actor,
                action="retention.dry_run" if options.dry_run else "retention.run",
                target=f"retention_run:{result.run_id}",
                outcome="success" if result.status == "ok" else result.status,
                details={**result.as_dict(), **({"notes": result.notes} if result.notes else {})},
            )
        log.info(
            "retention run %s %s: rows %s bytes %s held %s errors %d",
            result.run_id,
            result.status,
            dict(result.deleted_rows),
            dict(result.deleted_bytes),
            dict(result.skipped_held),
            len(result.errors),
        )
        if self.after_run is not None and not result.dry_run:
            try:
                self.after_run(result)
            except Exception:  # noqa: BLE001 - the run is done and recorded; the hook logs
                log.exception("after retention run %s", result.run_id)

    # --- the work ----------------------------------------------------------------------

    def _execute(self, result: RunResult, now: datetime, options: RunOptions) -> None:
        cut = cand.Cutoffs.of(self.policy, now)
        self._refuse_if_new_db()
        if not options.dry_run:
            self._tally_before_purge(cut, now)
        refused = self._over_threshold(cut, now, options, result)
        for name in cand.JOB_CLASSES:
            if name in refused:
                result.refuse(refused[name])
                continue
            self._purge_class(name, cut, now, options.dry_run, result)
        self._sweep_orphans(now, options, result)
        self.free_space.run(result, now=now, force=options.force, actor=options.actor)
        result.status = "refused" if result.refusals else ("failed" if result.errors else "ok")

    def _refuse_if_new_db(self) -> None:
        with self.sessions() as s:
            has_rows = s.scalar(select(PlateRead.id).limit(1)) is not None or (
                s.scalar(select(VideoSegment.id).limit(1)) is not None
            )
        if not has_rows and files.any_media(self.data_dir):
            raise RetentionRefusedError(
                "the database has no reads or video but media files exist under "
                f"{self.data_dir}: wrong or new database? refusing to touch anything"
            )

    def _tally_before_purge(self, cut: cand.Cutoffs, now: datetime) -> None:
        """Close (tally) every UTC day that holds rows this run may delete, before deleting
        any: the transparency report counts closed days from their tallies. If tallying
        fails the run fails and nothing is deleted."""
        with transaction(self.sessions) as s:
            days = usage_tally.close_before(s, max(cut.values.values()), now=now)
        if days:
            log.info("tallied %d day(s) before purging, %s .. %s", len(days), days[0], days[-1])

    def _over_threshold(
        self, cut: cand.Cutoffs, now: datetime, options: RunOptions, result: RunResult
    ) -> dict[str, str]:
        share = self.settings.max_delete_share
        refused: dict[str, str] = {}
        with self.sessions() as s:
            last = None if not options.scheduled else s.scalars(
                select(RetentionRun).where(
                    RetentionRun.status == "ok", RetentionRun.dry_run.is_(False),
                    RetentionRun.id < result.run_id,
                ).order_by(RetentionRun.id.desc()).limit(1)
            ).first()
            for name in cand.JOB_CLASSES:
                total = cand.count_all(s, name)
                expired = cand.count_expired(s, name, cut)
                if not total or expired / total <= share or options.force:
                    continue
                if last is not None and _explained(name, cut, now, last):
                    result.notes.append(
                        f"{name}: {expired} of {total} items past an unchanged policy "
                        "(explained by time): deleting")
                    continue
                refused[name] = (
                    f"{name}: refusing to delete {expired} of {total} items "
                    f"({expired / total:.0%} > {share:.0%}); re-run with --force"
                )
        return refused

    def _purge_class(
        self, name: str, cut: cand.Cutoffs, now: datetime, dry: bool, result: RunResult
    ) -> None:
        after = 0
        while True:
            with self.sessions() as s:
                batch = cand.page(s, name, cut, after_id=after, limit=self.settings.batch_size)
                holds = active_specs(s, now=now) if batch and name != "camera_status" else []
            if not batch:
                return
            after = batch[-1].id
            decided = plan(now, self.policy, holds, batch)
            for item in decided.held_items:
                result.skipped_held[name] += 1
                log.debug("%s %s held by %s", name, item.id, decided.held[item.id])
            if decided.delete:
                self._delete_batch(name, decided, cut, dry, result)

    def _delete_batch(
        self, name: str, decided: Plan, cut: cand.Cutoffs, dry: bool, result: RunResult
    ) -> None:
        def one(item: Candidate) -> tuple[int, int, str | None]:
            try:
                if dry:
                    return item.id, sum(files.size_of(self.data_dir, r) for r in item.files), None
                return item.id, files.remove_all(self.data_dir, item.files), None
            except (OSError, files.UnsafePathError) as exc:
                return item.id, 0, f"{name} {item.id}: file not deleted: {exc}"

        done: list[int] = []
        # unlink is I/O bound and releases the GIL: a few threads help on slow disks
        for item_id, size, error in self._pool.map(one, decided.delete):
            if error is not None:
                result.errors.append(error)  # keep the row: it still names its file
                continue
            result.deleted_bytes[name] += size
            done.append(item_id)
        if dry:
            result.deleted_rows[name] += len(done)
            return
        with transaction(self.sessions) as s:
            result.deleted_rows[name] += cand.delete_rows(s, name, done, cut)
        self._checkpoint()

    def _checkpoint(self) -> None:
        """On SQLite, fold the WAL back ourselves (PASSIVE never blocks ingest), so the
        ingest commit that would cross the auto-checkpoint threshold does not pay for our
        deletes."""
        bind = self.sessions.kw.get("bind")
        if bind is not None and bind.dialect.name == "sqlite":
            with bind.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _sweep_orphans(self, now: datetime, options: RunOptions, result: RunResult) -> None:
        waiting = waiting_in(self.data_dir / datadir.INGEST_SPOOL)
        if waiting:  # their photos have no row yet: not orphans (a database outage)
            result.notes.append(f"orphan sweep deferred: {waiting} camera message(s) still "
                                "waiting in the ingest spool for the database")
            return
        with self.sessions() as s:
            rec = files.find_orphans(
                s, self.data_dir, now=now, grace_s=self.settings.orphan_grace_s, keep=True
            )
        orphans = rec.orphans
        if orphans and not options.dry_run:
            with transaction(self.sessions) as s:
                orphans = files.index_segments(s, orphans, now=now)
            if len(orphans) < len(rec.orphans):
                result.notes.append(f"indexed {len(rec.orphans) - len(orphans)} recovered "
                                    "video segment(s) that had no row")
        if not orphans:
            return
        share = self.settings.max_delete_share
        if len(orphans) / rec.files_total > share and not options.force:
            result.refuse(
                f"orphan_files: refusing to delete {len(orphans)} of {rec.files_total} "
                f"files ({len(orphans) / rec.files_total:.0%} > {share:.0%}); use --force"
            )
            return
        for start in range(0, len(orphans), files.CHUNK):
            chunk = orphans[start : start + files.CHUNK]
            with self.sessions() as s:  # exact re-check: a row may have appeared meanwhile
                named = files.referenced(s, [f.rel for f in chunk])
            for f in chunk:
                if f.rel in named:
                    continue
                try:
                    size = f.size if options.dry_run else files.remove(self.data_dir, f.rel)
                except OSError as exc:
                    result.errors.append(f"orphan {f.rel}: not deleted: {exc}")
                    continue
                result.deleted_rows["orphan_files"] += 1
                result.deleted_bytes["orphan_files"] += size
