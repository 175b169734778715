"""Legal holds, retention runs and the auditor's retention report."""

from __future__ import annotations

from pydantic import Field

from rtcc.schemas.common import Page, ReadModel, UtcDatetime
from rtcc.vocab import HoldClass


class HoldScope(ReadModel):
    """Either explicit item ids, or a camera / plate / time range (any may be null)."""

    item_ids: list[int] | None = None
    camera_id: str | None = None
    plate: str | None = None
    start_at: UtcDatetime | None = None
    end_at: UtcDatetime | None = None


class HoldOut(ReadModel):
    id: int
    case_number: str
    reason: str
    data_class: HoldClass
    scope: HoldScope
    expires_at: UtcDatetime | None
    created_by: str
    created_at: UtcDatetime
    released_by: str | None
    released_at: UtcDatetime | None
    active: bool


class FreeSpaceOut(ReadModel):
    """``retention.video_free_space``: the oldest video freed when the disk fills."""

    free_bytes: int  # measured (a dry run adds what the age classes would free)
    below_bytes: int
    target_bytes: int
    needed_bytes: int
    freed_bytes: int
    segments: int
    held: int
    short_bytes: int  # still missing: the rest is held, too recent or refused
    oldest_end_at: UtcDatetime | None
    newest_end_at: UtcDatetime | None


class RunOut(ReadModel):
    """One retention run (or a dry run): cut-offs and what was deleted or kept, per class."""

    run_id: int
    status: str  # running | ok | refused | failed
    dry_run: bool
    now: UtcDatetime | None
    cutoffs: dict[str, str]
    deleted_rows: dict[str, int]
    deleted_bytes: dict[str, int]
    skipped_held: dict[str, int]
    errors: list[str]
    free_space: FreeSpaceOut | None = None  # only with retention.video_free_space on


class ClassReport(ReadModel):
    policy_days: int
    cutoff: str | None = None
    items: int
    oldest_at: str | None
    oldest_age_days: float | None
    past_period: int | None = None
    held_past_period: int | None = None
    legal_max_days: int | None = None  # the site's legal limit for the class, when configured
    minimum: bool | None = None  # audit only: kept at least this long
    chain_ok: bool | None = None
    chain_problem: str | None = None


class RunsReport(ReadModel):
    last_successful_at: str | None
    last_successful_run_id: int | None
    last_successful_deleted_rows: dict[str, int] | None
    failed_last_30_days: int


class Reconciliation(ReadModel):
    files_total: int
    orphan_files: int
    orphan_bytes: int
    in_flight_files: int
    missing_files: int
    orphan_sample: list[str] = Field(default_factory=list)
    missing_sample: list[str] = Field(default_factory=list)


class ReportOut(ReadModel):
    generated_at: str
    compliant: bool
    reasons: list[str]
    classes: dict[str, ClassReport]
    holds: list[HoldOut]
    runs: RunsReport
    reconciliation: Reconciliation


class HoldPage(Page[HoldOut]):
    """Legal holds."""
