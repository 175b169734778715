"""Free the oldest video first when the disk fills (``retention.video_free_space``).

After the age-based classes, a run measures the data folder's free space (``disk_free``,
injected; ``shutil.disk_usage`` by default). Under ``below_mb`` it pages the oldest segments
(``end_at``, then id) that ended more than ``keep_hours`` ago, lets the pure
:func:`retention.plan.plan_free_space` skip held ones and pick until ``target_mb`` would be
free, and deletes files then rows, like every class. The days whose video goes are tallied
first. The safety threshold holds here too: one run deletes at most ``max_delete_share`` of
all segments unless forced; stopping there is a refusal (an alert on the schedule). A dry run
counts what the age classes would have freed as already free. Each run that deleted video
for space adds a ``retention.free_space`` audit event with reason ``free space``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from retention import candidates as cand
from retention import files
from retention.holds import active_specs
from retention.plan import Candidate, FreeSpaceRule, plan_free_space
from rtcc import audit, usage_tally
from rtcc.audit import Actor
from rtcc.config import RetentionSettings
from rtcc.db import transaction
from rtcc.models import VideoSegment

if TYPE_CHECKING:
    from retention.executor import RunResult

log = logging.getLogger(__name__)
MIB = 1024 * 1024
KEY = "video_free_space"  # the run's counters for video deleted to free space
REASON = "free space"


def disk_free(path: Path) -> int:
    return shutil.disk_usage(path).free


def rule_of(settings: RetentionSettings) -> FreeSpaceRule | None:
    cfg = settings.video_free_space
    if cfg.below_mb is None:
        return None
    target = cfg.target_mb if cfg.target_mb is not None else cfg.below_mb
    return FreeSpaceRule(cfg.below_mb * MIB, target * MIB, timedelta(hours=cfg.keep_hours))


@dataclass
class FreeSpaceOutcome:
    free_bytes: int  # measured (a dry run adds what the age classes would free)
    below_bytes: int
    target_bytes: int
    needed_bytes: int
    freed_bytes: int = 0
    segments: int = 0
    held: int = 0
    short_bytes: int = 0  # still missing: the rest is held, recent or refused
    oldest_end_at: datetime | None = None
    newest_end_at: datetime | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in vars(self).items() if k != "errors"}
        for key in ("oldest_end_at", "newest_end_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    def took(self, item: Candidate, size: int) -> None:
        self.segments += 1
        self.freed_bytes += size
        self.oldest_end_at = min(self.oldest_end_at or item.at, item.at)
        self.newest_end_at = max(self.newest_end_at or item.at, item.at)


class FreeSpacePass:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: RetentionSettings,
        data_dir: Path,
        free: Callable[[Path], int] = disk_free,
    ) -> None:
        self.sessions, self.settings, self.data_dir = sessions, settings, data_dir
        self.free, self.rule = free, rule_of(settings)

    def run(self, result: RunResult, *, now: datetime, force: bool, actor: Actor) -> None:
        """Free space if needed; counts, refusals and notes go into ``result``."""
        if self.rule is None:
            return
        dry = result.dry_run
        free = self.free(self.data_dir) + (sum(result.deleted_bytes.values()) if dry else 0)
        out = FreeSpaceOutcome(free, self.rule.below, self.rule.target, self.rule.to_free(free))
        if out.needed_bytes > 0:
            self._free(out, result, now=now, force=force)
        result.free_space = out.as_dict()
        result.deleted_rows[KEY] += out.segments
        result.deleted_bytes[KEY] += out.freed_bytes
        if out.held:
            result.skipped_held[KEY] += out.held
        result.errors.extend(out.errors)
        if out.short_bytes and not result.refusals:
            result.notes.append(
                f"{KEY}: {out.short_bytes // MIB} MiB short of the target: the "
                "rest of the video is held or too recent"
            )
            log.warning("retention: %s MiB short of the free-space target", out.short_bytes // MIB)
        if out.segments and not dry:
            with transaction(self.sessions) as s:
                audit.record(
                    s,
                    now=now,
                    actor=actor,
                    action="retention.free_space",
                    target=f"retention_run:{result.run_id}",
                    details={"reason": REASON, **out.as_dict()},
                )

    def _free(
        self, out: FreeSpaceOutcome, result: RunResult, *, now: datetime, force: bool
    ) -> None:
        assert self.rule is not None
        cut, need = self.rule.cutoff(now), out.needed_bytes
        # older segments are the age classes' (expired, or held: kept here too)
        after: tuple[datetime, int] | None = (now - timedelta(days=self.settings.video_days), 0)
        if not result.dry_run:
            with transaction(self.sessions) as s:  # tally before deleting (see usage_tally)
                usage_tally.close_before(s, cut, now=now)
        with self.sessions() as s:
            total = int(s.scalar(select(func.count()).select_from(VideoSegment)) or 0)
        allowance = None if force else int(total * self.settings.max_delete_share)
        while need > 0:
            with self.sessions() as s:
                page = cand.oldest_video(s, before=cut, after=after, limit=self.settings.batch_size)
                holds = active_specs(s, now=now) if page else []
            if not page:
                break
            decided = plan_free_space(now, self.rule, holds, page, need=need)
            assert decided.last is not None
            after = (decided.last.at, decided.last.id)
            out.held += len(decided.held)
            todo = list(decided.delete)
            if allowance is not None and out.segments + len(todo) > allowance:
                todo = todo[: max(0, allowance - out.segments)]
                result.refuse(
                    f"{KEY}: refusing to delete more than {allowance} of {total} segments "
                    f"({self.settings.max_delete_share:.0%}) to free space; re-run with --force"
                )
                need -= self._delete(todo, cut, out, dry=result.dry_run)
                break
            need -= self._delete(todo, cut, out, dry=result.dry_run)
        out.short_bytes = max(0, need)

    def _delete(
        self, items: list[Candidate], cut: datetime, out: FreeSpaceOutcome, *, dry: bool
    ) -> int:
        """Files first, then the rows whose files are gone; returns the bytes freed."""
        done: list[int] = []
        freed = 0
        for item in items:
            try:
                size = (
                    sum(files.size_of(self.data_dir, r) for r in item.files)
                    if dry
                    else files.remove_all(self.data_dir, item.files)
                )
            except (OSError, files.UnsafePathError) as exc:
                out.errors.append(f"video {item.id}: file not deleted: {exc}")
                continue  # the row stays: it still names its file
            out.took(item, size)
            freed += size
            done.append(item.id)
        if done and not dry:
            with transaction(self.sessions) as s:
                cand.delete_video_rows(s, done, before=cut)
        return freed
