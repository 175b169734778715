"""Every table of the product, in one package, a module per domain (SQLAlchemy 2 typed mappings).

All times are UTC (``DateTime(timezone=True)``) and named ``*_at``. After changing a table,
regenerate the migration: ``python -m rtcc.migrations.regen`` (see README, "Schema changes").
"""

from __future__ import annotations

from rtcc.models.accountability import (
    EvidenceExport,
    SearchReview,
    SearchVolumeAlert,
    TransparencyEntry,
    TransparencySignoff,
)
from rtcc.models.accounts import ApiToken, AuditEvent, AuthSession, User
from rtcc.models.base import NAMING, Base, UTCDateTime
from rtcc.models.cameras import Camera, CameraPosition, CameraStatus, ServerRun, VideoSegment
from rtcc.models.integrations import (
    BaseMap,
    GunshotAlert,
    GunshotBookmark,
    GunshotOutcome,
    OutboundDelivery,
    SignatureSeen,
)
from rtcc.models.reads import (
    Hit,
    HitEvent,
    HitSighting,
    Hotlist,
    HotlistEntry,
    IngestedMessage,
    PlateRead,
)
from rtcc.models.retention import LegalHold, RetentionRun, UsageTally

__all__ = [
    "NAMING",
    "Base",
    "UTCDateTime",
    "Camera",
    "CameraStatus",
    "ServerRun",
    "VideoSegment",
    "CameraPosition",
    "PlateRead",
    "IngestedMessage",
    "Hotlist",
    "HotlistEntry",
    "Hit",
    "HitSighting",
    "HitEvent",
    "User",
    "ApiToken",
    "AuthSession",
    "AuditEvent",
    "LegalHold",
    "RetentionRun",
    "UsageTally",
    "GunshotAlert",
    "GunshotBookmark",
    "GunshotOutcome",
    "SignatureSeen",
    "OutboundDelivery",
    "BaseMap",
    "EvidenceExport",
    "TransparencyEntry",
    "TransparencySignoff",
    "SearchReview",
    "SearchVolumeAlert",
]
