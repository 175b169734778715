"""The pure retention plan: ``plan(now, policy, holds, candidates)`` -> what to delete.

No database, no files, no clock. Rules (documented for the README):

* Every period is an exact number of 24-hour days counted back from ``now`` in UTC, so time
  zones and daylight-saving days change nothing: the cutoff is ``now - days * 86400 s``.
* An item is *expired* when its time is strictly before the cutoff. An item exactly ``days``
  old is kept; one second older is deleted.
* Item times: video segment ``end_at``; plate read ``observed_at`` (first seen, the time shown to
  users, indexed); hit ``last_seen_at``; camera status ``at``.
* A read referenced by a hit follows the ``hit_reads`` period instead of ``plate_reads``.
* Free space (``plan_free_space``, off by default): when the data folder has less than
  ``below`` bytes free, the oldest video segments (by ``end_at``, then id) are deleted until
  ``target`` bytes are free, whatever their age, except held segments and segments that ended
  within ``keep`` of ``now`` (one ended exactly ``keep`` ago is kept).
* Held items are never deleted. A hold is active until released or until ``expires_at``
  (exclusive). A hold on ``plate_reads`` covers reads with or without hits; a hold on ``hits``
  covers the hits and the reads those hits point to; ``video`` covers segments; ``all`` covers
  every class. Camera status history is never held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

DataClass = Literal["video", "plate_reads", "hit_reads", "hits", "camera_status"]
DATA_CLASSES: tuple[DataClass, ...] = ("video", "plate_reads", "hit_reads", "hits", "camera_status")
HOLD_CLASSES = ("plate_reads", "hits", "video", "all")
MIN_AUDIT_DAYS = 365
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Policy:
    """Retention period per data class, in days."""

    video: int = 30
    plate_reads: int = 90
    hit_reads: int = 90
    hits: int = 90
    camera_status: int = 90
    audit: int = MIN_AUDIT_DAYS

    def __post_init__(self) -> None:
        for name in (*DATA_CLASSES, "audit"):
            if getattr(self, name) < 1:
                raise ValueError(f"retention period of {name} must be at least 1 day")
        if self.audit < MIN_AUDIT_DAYS:
            raise ValueError(f"audit must be kept at least {MIN_AUDIT_DAYS} days, not {self.audit}")

    def days(self, data_class: str) -> int:
        return int(getattr(self, data_class))

    def cutoff(self, data_class: str, now: datetime) -> datetime:
        """Items strictly older than this instant are expired."""
        _require_aware(now, "now")
        # in UTC: aware arithmetic in a local zone is wall-clock arithmetic (23/25-hour days)
        return now.astimezone(UTC) - self.days(data_class) * DAY

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        return {c: self.cutoff(c, now) for c in DATA_CLASSES}


@dataclass(frozen=True)
class Hold:
    """A legal hold, as plain data (see ``retention.holds`` for the table)."""

    id: int
    case_number: str
    data_class: str  # plate_reads | hits | video | all
    item_ids: frozenset[int] = frozenset()
    camera_id: str | None = None
    plate: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    expires_at: datetime | None = None
    released_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        if self.released_at is not None and self.released_at <= now:
            return False
        return self.expires_at is None or now < self.expires_at

    def _applies_to(self, data_class: str) -> bool:
        if self.data_class == "all":
            return data_class != "camera_status"
        if self.data_class == "plate_reads":
            return data_class in ("plate_reads", "hit_reads")
        return self.data_class == data_class

    def _matches_scope(
        self, item_id: int, at: datetime, camera_id: str | None, plate: str | None
    ) -> bool:
        if self.item_ids:
            return item_id in self.item_ids
        if self.camera_id is not None and self.camera_id != camera_id:
            return False
        if self.plate is not None and self.plate != plate:
            return False
        if self.start_at is not None and at < self.start_at:
            return False
        return self.end_at is None or at <= self.end_at

    def covers(self, item: Candidate) -> bool:
        """Whether this hold protects ``item`` (ignoring whether the hold is still active)."""
        if self._applies_to(item.data_class) and self._matches_scope(
            item.id, item.at, item.camera_id, item.plate
        ):
            return True
        if self.data_class == "hits" and item.data_class in ("plate_reads", "hit_reads"):
            # evidence of a held hit: the read the hit points to
            if self.item_ids:
                return bool(self.item_ids & set(item.hit_ids))
            return bool(item.hit_ids) and self._matches_scope(
                item.id, item.at, item.camera_id, item.plate
            )
        return False


@dataclass(frozen=True)
class Candidate:
    """One item that may be deleted: its class, id, time, and the files it owns."""

    data_class: DataClass
    id: int
    at: datetime
    camera_id: str | None = None
    plate: str | None = None
    files: tuple[str, ...] = ()
    hit_ids: tuple[int, ...] = ()
    size: int = 0  # bytes, as recorded (video segments)


@dataclass(frozen=True)
class Plan:
    delete: tuple[Candidate, ...] = ()
    held: Mapping[int, tuple[int, ...]] = field(default_factory=dict)  # item id -> hold ids
    held_items: tuple[Candidate, ...] = ()
    kept: int = 0  # within period

    def delete_ids(self, data_class: str) -> list[int]:
        return [c.id for c in self.delete if c.data_class == data_class]


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def effective_class(data_class: DataClass, hit_ids: tuple[int, ...]) -> DataClass:
    """A read with a hit follows the hit-read period."""
    if data_class == "plate_reads" and hit_ids:
        return "hit_reads"
    return data_class


def plan(
    now: datetime, policy: Policy, holds: Iterable[Hold], candidates: Iterable[Candidate]
) -> Plan:
    """Decide, for each candidate, delete / keep (within period) / keep (held)."""
    _require_aware(now, "now")
    now = now.astimezone(UTC)
    cutoffs = policy.cutoffs(now)
    active = [h for h in holds if h.active(now)]
    delete: list[Candidate] = []
    held: dict[int, tuple[int, ...]] = {}
    held_items: list[Candidate] = []
    kept = 0
    for item in candidates:
        _require_aware(item.at, f"{item.data_class} {item.id} time")
        cls = effective_class(item.data_class, item.hit_ids)
        if not item.at < cutoffs[cls]:
            kept += 1
            continue
        by = tuple(h.id for h in active if h.covers(item))
        if by:
            held[item.id] = by
            held_items.append(item)
            continue
        delete.append(item)
    return Plan(delete=tuple(delete), held=held, held_items=tuple(held_items), kept=kept)


@dataclass(frozen=True)
class FreeSpaceRule:
    """Free the oldest video first when the disk fills: under ``below`` bytes free, delete
    until ``target`` bytes are free, never a segment that ended within ``keep``."""

    below: int
    target: int
    keep: timedelta

    def __post_init__(self) -> None:
        if not 0 < self.below <= self.target:
            raise ValueError(f"need 0 < below <= target, got {self.below} and {self.target}")
        if self.keep < timedelta(0):
            raise ValueError("keep must not be negative")

    def to_free(self, free_bytes: int) -> int:
        """Bytes to delete now: 0 at or above ``below``, else up to ``target``."""
        return 0 if free_bytes >= self.below else self.target - free_bytes

    def cutoff(self, now: datetime) -> datetime:
        """Segments that ended strictly before this instant may go to free space."""
        _require_aware(now, "now")
        return now.astimezone(UTC) - self.keep


@dataclass(frozen=True)
class FreeSpacePlan:
    delete: tuple[Candidate, ...] = ()
    held: Mapping[int, tuple[int, ...]] = field(default_factory=dict)  # item id -> hold ids
    freed: int = 0  # bytes of ``delete``
    still_needed: int = 0  # bytes still to free after ``delete`` (0: done)
    last: Candidate | None = None  # the newest candidate looked at (the next page follows it)


def plan_free_space(
    now: datetime,
    rule: FreeSpaceRule,
    holds: Iterable[Hold],
    candidates: Iterable[Candidate],
    *,
    need: int,
) -> FreeSpacePlan:
    """The oldest unheld video segments, oldest first, until ``need`` bytes are freed.

    ``need`` comes from :meth:`FreeSpaceRule.to_free` (a measured figure, injected); the
    executor calls this per page with what is still needed."""
    cutoff = rule.cutoff(now)
    active = [h for h in holds if h.active(now.astimezone(UTC))]
    delete: list[Candidate] = []
    held: dict[int, tuple[int, ...]] = {}
    freed = 0
    last = None
    for item in sorted(candidates, key=lambda c: (c.at, c.id)):
        if freed >= need:
            break
        _require_aware(item.at, f"{item.data_class} {item.id} time")
        last = item
        if item.data_class != "video" or not item.at < cutoff:
            continue
        by = tuple(h.id for h in active if h.covers(item))
        if by:
            held[item.id] = by
            continue
        delete.append(item)
        freed += item.size
    return FreeSpacePlan(tuple(delete), held, freed, max(0, need - freed), last)


# Clock and run-start jitter tolerated when comparing how far a cutoff moved with the time
# that passed (the cutoffs are computed from the run's ``now``, the record from the clock).
EXPLAINED_TOLERANCE = timedelta(minutes=5)


def explained_by_time(
    *,
    cutoff: datetime,
    now: datetime,
    last_cutoff: datetime | None,
    last_now: datetime | None,
) -> bool:
    """Whether a large expiry is only the oldest data passing an unchanged policy.

    True when a previous completed run exists, time went forward since it, and the class's
    cutoff moved by exactly the time that passed (so the policy did not shrink): the items
    expiring now are those that aged past the same period while no run deleted them (after an
    outage, say). A shortened period, a clock that went backwards, or no earlier run is not
    explained by time, and the safety threshold applies."""
    if last_cutoff is None or last_now is None or now < last_now:
        return False
    moved, passed = cutoff - last_cutoff, now - last_now
    return abs(moved - passed) <= EXPLAINED_TOLERANCE
