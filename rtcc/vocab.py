"""Closed vocabularies, defined once: database columns, pydantic models, query parameters,
argparse ``choices`` and the console (``GET /api/meta``) all take their names from here.

Each is a ``StrEnum``, so a member compares equal to its plain string (what the database holds).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class CameraState(StrEnum):
    STARTING = "starting"
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"
    ERROR = "error"
    FAILED = "failed"


CAMERA_UP_STATES = frozenset({CameraState.ONLINE, CameraState.DEGRADED})
CAMERA_DOWN_STATES = frozenset({CameraState.OFFLINE, CameraState.ERROR, CameraState.FAILED})


class ReadStatus(StrEnum):
    """A read is a preview while its vehicle is still in view, final once it has left."""

    PREVIEW = "preview"
    FINAL = "final"


class HitStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class HitAction(StrEnum):
    """What an officer does to a hit (workflow history rows name these)."""

    ACKNOWLEDGE = "acknowledge"
    CONFIRM = "confirm"
    REJECT = "reject"
    NOTE = "note"


class RejectReason(StrEnum):
    MISREAD = "misread"
    WRONG_STATE = "wrong_state"
    VEHICLE_MISMATCH = "vehicle_mismatch"
    ENTRY_EXPIRED = "entry_expired"
    OTHER = "other"


class MatchType(StrEnum):
    EXACT = "exact"
    CONFUSABLE = "confusable"
    FUZZY = "fuzzy"
    WILDCARD = "wildcard"
    LATTICE = "lattice"  # scored on the read's per-character alternatives (``hotlist.lattice``)


class HoldClass(StrEnum):
    """What a legal hold keeps from retention."""

    PLATE_READS = "plate_reads"
    HITS = "hits"
    VIDEO = "video"
    ALL = "all"


class HotlistFormat(StrEnum):
    CSV = "csv"
    DELIMITED = "delimited"
    NCIC = "ncic"


class HotlistKind(StrEnum):
    """The kinds the console offers; a list may also carry another lower-case word."""

    STOLEN_VEHICLE = "stolen_vehicle"
    STOLEN_PLATE = "stolen_plate"
    WANTED_PERSON = "wanted_person"
    AMBER = "amber"
    MISSING_PERSON = "missing_person"
    FELONY = "felony"
    BOLO = "bolo"
    SEX_OFFENDER = "sex_offender"
    GANG = "gang"
    CUSTOM = "custom"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DETECTIVE = "detective"
    OFFICER = "officer"
    AUDITOR = "auditor"


_ROLE_NAMES = frozenset(r.value for r in Role)


class Permission(StrEnum):
    """What a route lets its caller do (``rtcc.auth.roles`` grants them to roles)."""

    PUBLIC = "public"
    SELF = "self"  # any signed-in user: their own account, logout
    SIGNED = "signed"  # machine callers with a per-source HMAC signature; no role holds it
    CAMERAS_VIEW = "cameras:view"
    CAMERAS_MANAGE = "cameras:manage"  # add, change and disable cameras; see nodes
    VIDEO_LIVE = "video:live"
    VIDEO_SEGMENTS = "video:segments"
    READS_LIVE = "reads:live"
    READS_SEARCH = "reads:search"
    READS_VIEW = "reads:view"
    HITS_VIEW = "hits:view"
    HITS_ACT = "hits:act"
    HOTLISTS_VIEW = "hotlists:view"
    HOTLISTS_MANAGE = "hotlists:manage"
    HOLDS_MANAGE = "holds:manage"
    RETENTION_VIEW = "retention:view"
    RETENTION_RUN = "retention:run"
    AUDIT_VIEW = "audit:view"
    USERS_MANAGE = "users:manage"
    CONFIG_VIEW = "config:view"
    GUNSHOTS_VIEW = "gunshots:view"
    GUNSHOTS_ACT = "gunshots:act"
    TRANSPARENCY_VIEW = "transparency:view"  # the yearly EO 78 report
    TRANSPARENCY_EDIT = "transparency:edit"  # enter its narrative fields, sign it off
    OVERSIGHT_REVIEW = "oversight:review"  # the auditor's sampled-search review queue
    OVERSIGHT_ALERTS = "oversight:alerts"  # unusual search volume alerts
    EVIDENCE_EXPORT = "evidence:export"  # signed evidence packages: create, list, download


def known_roles(names: Iterable[str]) -> list[Role]:
    """The names that are roles (an unknown one grants nothing, so it is left out)."""
    return [Role(n) for n in names if n in _ROLE_NAMES]


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The members' plain strings, in declaration order (argparse ``choices``, SQL filters)."""
    return tuple(m.value for m in enum)


class SystemAlertKind(StrEnum):
    """What a system alert is about (``SystemAlertEvent``); one console banner per kind."""

    DATABASE_UNREACHABLE = "database_unreachable"  # reads wait in the local spool
    STORAGE_DEGRADED = "storage_degraded"  # the data folder is (nearly) full or not writable
    RETENTION_REFUSED = "retention_refused"  # a scheduled retention run was refused


class AlertSeverity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class StorageState(StrEnum):
    """The data folder's state (``/api/health``, the storage watcher); anything but ok degrades."""

    OK = "ok"
    DEGRADED = "degraded"  # writable, but free space is under ``storage.min_free_mb``
    FULL = "full"  # a write fails for lack of space
    UNWRITABLE = "unwritable"  # a write fails for another reason (read-only, permissions)


class GunshotType(StrEnum):
    """What an acoustic detection provider classified a sound as."""

    GUNFIRE = "gunfire"
    PROBABLE_GUNFIRE = "probable_gunfire"
    FIREWORKS = "fireworks"
    OTHER = "other"
