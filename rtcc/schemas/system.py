"""Service health, activity figures and the vocabularies the console needs (``/api/meta``)."""

from __future__ import annotations

from rtcc.schemas.common import ReadModel, UtcDatetime
from rtcc.vocab import (
    AlertSeverity,
    CameraState,
    HitAction,
    HitStatus,
    HoldClass,
    HotlistFormat,
    HotlistKind,
    MatchType,
    Permission,
    ReadStatus,
    RejectReason,
    Role,
    StorageState,
    SystemAlertKind,
)


class StorageOut(ReadModel):
    """The data folder (``rtcc.storage.check``): free space against ``storage.min_free_mb``."""

    state: StorageState
    free_bytes: int | None  # None: the folder could not be measured
    min_free_bytes: int
    path: str
    detail: str


class HealthOut(ReadModel):
    status: str
    # The rest only for signed-in callers (anonymous callers learn up or down).
    version: str | None = None
    time: UtcDatetime | None = None
    database: str | None = None
    cameras: dict[str, int] | None = None  # how many cameras are in each state
    hotlist_entries: int | None = None
    storage: StorageOut | None = None  # status is "degraded" unless its state is ok
    # database "unreachable" (status "degraded"): worker messages kept in the local spool
    queued: int | None = None


class SystemAlertOut(ReadModel):
    """A condition operators must know about (raised, then cleared with ``active: false``)."""

    kind: SystemAlertKind
    severity: AlertSeverity
    active: bool  # false: the condition has cleared
    message: str  # one plain sentence for the banner
    since: UtcDatetime  # when the condition began (or cleared)
    queued: int | None = None  # database_unreachable: reads waiting in the local spool
    origin: str | None = None  # where, when not an API host: a camera node ("node n1")


class DayCount(ReadModel):
    day: str  # YYYY-MM-DD (UTC)
    reads: int
    hits: int


class DailyOut(ReadModel):
    days: list[DayCount]
    since: str
    until: str


class MetaOut(ReadModel):
    """Every closed vocabulary, so the console never hard-codes one."""

    version: str
    event_types: list[str]
    event_schema_version: int
    camera_states: list[CameraState]
    read_statuses: list[ReadStatus]
    hit_statuses: list[HitStatus]
    hit_actions: list[HitAction]
    reject_reasons: list[RejectReason]
    match_types: list[MatchType]
    hold_classes: list[HoldClass]
    hotlist_formats: list[HotlistFormat]
    hotlist_kinds: list[HotlistKind]
    roles: list[Role]
    permissions: list[Permission]
    role_permissions: dict[Role, list[Permission]]
    confusion_groups: list[str]  # characters the matcher treats as look-alikes (configured)
