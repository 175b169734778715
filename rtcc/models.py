"""Every table of the product, in one place (SQLAlchemy 2 typed mappings).

All times are UTC (``DateTime(timezone=True)``) and named ``*_at``. After changing a table,
regenerate the migration: ``python -m rtcc.migrations.regen`` (see README, "Schema changes").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from rtcc.clock import as_utc

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which drops the zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


# --- cameras -------------------------------------------------------------------------------


class Camera(Base):
    __tablename__ = "camera"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default="starting")
    state_since_at: Mapped[datetime | None]
    last_frame_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Why the camera is in its state now ("analysis 2.0 s behind", "input 12.9 of 30 fps").
    state_reason: Mapped[str | None] = mapped_column(Text)
    reconnects: Mapped[int] = mapped_column(Integer, default=0)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    input_fps: Mapped[float] = mapped_column(Float, default=0.0)
    analysed_fps: Mapped[float] = mapped_column(Float, default=0.0)
    skipped_frames: Mapped[int] = mapped_column(BigInteger, default=0)  # by sampling
    motion_skipped_frames: Mapped[int] = mapped_column(BigInteger, default=0)  # no motion
    heading_deg: Mapped[float | None] = mapped_column(Float)  # view: centre, width, range
    fov_deg: Mapped[float] = mapped_column(Float, default=90.0)
    range_m: Mapped[float] = mapped_column(Float, default=60.0)
    mobile: Mapped[bool] = mapped_column(Boolean, default=False)  # position from updates
    # Where it comes from and how to run it (cameras live here; the YAML file seeds them).
    url: Mapped[str | None] = mapped_column(String(1000))  # may hold credentials: redact
    detect_url: Mapped[str | None] = mapped_column(String(1000))  # lower-resolution substream
    lpr: Mapped[bool] = mapped_column(Boolean, default=True)
    record: Mapped[bool] = mapped_column(Boolean, default=True)
    site: Mapped[str | None] = mapped_column(String(100))
    pin_node: Mapped[str | None] = mapped_column(String(64))  # runs only on this node
    origin: Mapped[str] = mapped_column(String(16), default="config")  # config | api | csv
    options: Mapped[dict[str, Any] | None]  # the other camera settings (detect_fps, motion, ...)
    node: Mapped[str | None] = mapped_column(String(64))  # the node running it now
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CameraStatus(Base):
    """History of camera state changes (for uptime and offline intervals)."""

    __tablename__ = "camera_status"
    __table_args__ = (Index("ix_camera_status_camera_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("camera.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class ServerRun(Base):
    """One run of the server: started, seen alive (heartbeats), stopped. Time no run covers is
    unknown to camera uptime, not up."""

    __tablename__ = "server_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]


class VideoSegment(Base):
    __tablename__ = "video_segment"
    __table_args__ = (Index("ix_video_segment_camera_start", "camera_id", "start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("camera.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    path: Mapped[str] = mapped_column(String(500), unique=True)  # relative to data_dir
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # No video for this long before start_at (the camera was away): the gap, with its reason.
    gap_before_s: Mapped[float] = mapped_column(Float, default=0.0)
    gap_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


# --- plate reads ---------------------------------------------------------------------------


class PlateRead(Base):
    """One read per vehicle pass: a preview first, then updated with the final consensus."""

    __tablename__ = "plate_read"
    __table_args__ = (
        UniqueConstraint("camera_id", "track_key", name="uq_plate_read_camera_track"),
        Index("ix_plate_read_observed_at", "observed_at"),
        Index("ix_plate_read_plate_observed", "plate", "observed_at"),
        Index("ix_plate_read_camera_observed", "camera_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("camera.id", ondelete="CASCADE"))
    track_key: Mapped[str] = mapped_column(String(64))
    plate: Mapped[str] = mapped_column(String(16))
    raw_text: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    char_confidences: Mapped[list[Any] | None]
    # Per character: its likeliest characters with probabilities, [[["C", 0.7], ["G", 0.2]], ...]
    char_alternatives: Mapped[list[Any] | None]
    region: Mapped[str | None] = mapped_column(String(16))  # state / country code if known
    format_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="final")  # preview | final
    frames: Mapped[int] = mapped_column(Integer, default=1)
    observed_at: Mapped[datetime]  # first seen
    last_seen_at: Mapped[datetime]
    box: Mapped[list[Any] | None]  # [x1, y1, x2, y2] in the snapshot
    snapshot_path: Mapped[str | None] = mapped_column(String(500))  # relative to data_dir
    crop_path: Mapped[str | None] = mapped_column(String(500))
    # The preview's own files, kept when the final read replaces the paths above (write-once).
    preview_snapshot_path: Mapped[str | None] = mapped_column(String(500))
    preview_crop_path: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)  # mobile cameras: where it was at the read
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IngestedMessage(Base):
    """A bus message already stored: redelivered copies are acknowledged and skipped.

    Written in the same transaction as the read it carries, so a consumer killed between
    commit and acknowledgement never stores a read twice.
    """

    __tablename__ = "ingested_message"
    __table_args__ = (Index("ix_ingested_message_at", "at"),)

    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    at: Mapped[datetime]


# --- hotlists and hits ---------------------------------------------------------------------


class Hotlist(Base):
    __tablename__ = "hotlist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="custom")
    source: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    colour: Mapped[str] = mapped_column(String(16), default="#d9480f")
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    # Manual entries expire this many days after they are added unless given another expiry.
    manual_expiry_days: Mapped[int] = mapped_column(Integer, default=30)
    alert_on_historical: Mapped[bool] = mapped_column(Boolean, default=False)
    two_person_confirm: Mapped[bool] = mapped_column(Boolean, default=False)
    # Loaded from this configured file at start: read-only in the console and the API.
    managed_file: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class HotlistEntry(Base):
    __tablename__ = "hotlist_entry"
    __table_args__ = (
        Index("ix_hotlist_entry_list_plate", "hotlist_id", "plate"),
        Index("ix_hotlist_entry_plate", "plate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hotlist_id: Mapped[int] = mapped_column(ForeignKey("hotlist.id", ondelete="CASCADE"))
    plate: Mapped[str] = mapped_column(String(16))  # normalized; may hold * and ? wildcards
    is_wildcard: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    case_number: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any] | None]
    expires_at: Mapped[datetime | None]
    added_by: Mapped[str | None] = mapped_column(String(100))
    added_at: Mapped[datetime]
    owner: Mapped[str | None] = mapped_column(String(100))  # manual entries: who answers for it
    reminded_at: Mapped[datetime | None]  # the owner was reminded of the coming expiry


class Hit(Base):
    __tablename__ = "hit"
    __table_args__ = (
        Index("ix_hit_status_created", "status", "created_at"),
        Index("ix_hit_dedup", "entry_id", "camera_id", "plate", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    read_id: Mapped[int | None] = mapped_column(
        ForeignKey("plate_read.id", ondelete="SET NULL"), index=True
    )
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("hotlist_entry.id", ondelete="SET NULL")
    )
    hotlist_id: Mapped[int | None] = mapped_column(ForeignKey("hotlist.id", ondelete="SET NULL"))
    camera_id: Mapped[str] = mapped_column(String(64))
    plate: Mapped[str] = mapped_column(String(16))  # the read's text
    entry_plate: Mapped[str] = mapped_column(String(16))
    hotlist_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=50)
    match_type: Mapped[str] = mapped_column(String(16), default="exact")
    distance: Mapped[float] = mapped_column(Float, default=0.0)
    # Lattice log-likelihood ratio of the read given the entry vs a random plate (None when the
    # read had no per-character lattice and the look-alike rules decided).
    score: Mapped[float | None] = mapped_column(Float)
    diff: Mapped[list[Any] | None]  # positions / characters that differed
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="new")
    status_by: Mapped[str | None] = mapped_column(String(100))
    status_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    reject_text: Mapped[str | None] = mapped_column(Text)
    visually_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    # Write-once evidence: the images and confidence of the read that raised the hit.
    snapshot_path: Mapped[str | None] = mapped_column(String(500))
    crop_path: Mapped[str | None] = mapped_column(String(500))
    read_confidence: Mapped[float | None] = mapped_column(Float)
    # The entry as matched (editing or deleting the entry never changes what the hit shows).
    entry_state: Mapped[str | None] = mapped_column(String(8))
    case_number: Mapped[str | None] = mapped_column(String(64))
    entry_description: Mapped[str | None] = mapped_column(Text)
    entry_expires_at: Mapped[datetime | None]
    confirm_requested_by: Mapped[str | None] = mapped_column(String(100))  # two-person lists
    observed_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class HitSighting(Base):
    """A later pass of a hit's vehicle: appended with its own read and images, never replacing
    the read that raised the hit."""

    __tablename__ = "hit_sighting"
    __table_args__ = (UniqueConstraint("hit_id", "read_id", name="uq_hit_sighting_hit_read"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hit.id", ondelete="CASCADE"), index=True)
    read_id: Mapped[int | None] = mapped_column(
        ForeignKey("plate_read.id", ondelete="SET NULL"), index=True
    )
    camera_id: Mapped[str] = mapped_column(String(64))
    plate: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    snapshot_path: Mapped[str | None] = mapped_column(String(500))
    crop_path: Mapped[str | None] = mapped_column(String(500))
    observed_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    created_at: Mapped[datetime]


class HitEvent(Base):
    """Workflow history and notes of a hit (who did what, when)."""

    __tablename__ = "hit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hit.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    username: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))  # acknowledge|confirm|reject|note
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


# --- users, sessions, audit ----------------------------------------------------------------


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    # Look-alike-proof key (``rtcc.auth.users.username_key``): "Admin" and "admin." collide.
    username_key: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[Any]]  # e.g. ["officer"]
    cameras: Mapped[list[Any] | None]  # officer assignment; None = all
    hotlists: Mapped[list[Any] | None]  # officer assignment; None = all
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class AuthSession(Base):
    __tablename__ = "auth_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only, hash-chained record of every access. Never updated or deleted by the app."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    username: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(100))
    # The credential used: "session:<id prefix>", "token:<id>", "cli" or "system".
    credential: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    case_number: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# --- retention -----------------------------------------------------------------------------


class LegalHold(Base):
    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    data_class: Mapped[str] = mapped_column(String(32))  # plate_reads | hits | video
    item_ids: Mapped[list[Any] | None]
    camera_id: Mapped[str | None] = mapped_column(String(64))
    plate: Mapped[str | None] = mapped_column(String(16))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    released_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None]


class RetentionRun(Base):
    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed|refused
    triggered_by: Mapped[str | None] = mapped_column(String(100))
    cutoffs: Mapped[dict[str, Any] | None]
    deleted_rows: Mapped[dict[str, Any] | None]
    deleted_bytes: Mapped[dict[str, Any] | None]
    skipped_held: Mapped[dict[str, Any] | None]
    errors: Mapped[list[Any] | None]


# --- integrations: gunshot alerts, mobile camera positions, outbound deliveries --------------


class GunshotAlert(Base):
    """One version of an acoustic gunshot alert as a provider sent it (updates add versions)."""

    __tablename__ = "gunshot_alert"
    __table_args__ = (
        UniqueConstraint("source", "alert_id", "version", name="uq_gunshot_alert_version"),
        Index("ix_gunshot_alert_detected_at", "detected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))  # the configured source name (or "import")
    alert_id: Mapped[str] = mapped_column(String(100))  # the provider's id
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per (source, alert_id)
    type: Mapped[str] = mapped_column(String(32))
    rounds: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]  # the body as received


class GunshotBookmark(Base):
    """A covering camera's recording window around an alert (kept for the investigation)."""

    __tablename__ = "gunshot_bookmark"
    __table_args__ = (
        UniqueConstraint("source", "alert_id", "camera_id", name="uq_gunshot_bookmark_camera"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[str] = mapped_column(String(100))
    camera_id: Mapped[str] = mapped_column(String(64))
    distance_m: Mapped[float] = mapped_column(Float)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    created_at: Mapped[datetime]


class GunshotOutcome(Base):
    """What an alert led to, for the transparency report (appended, never overwritten)."""

    __tablename__ = "gunshot_outcome"
    __table_args__ = (Index("ix_gunshot_outcome_alert", "source", "alert_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[str] = mapped_column(String(100))
    evidence_found: Mapped[bool] = mapped_column(Boolean)
    case_number: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


class SignatureSeen(Base):
    """Signatures of accepted signed requests: the same signature twice is a replay."""

    __tablename__ = "signature_seen"
    __table_args__ = (Index("ix_signature_seen_signed_at", "signed_at"),)

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    received_at: Mapped[datetime]


class CameraPosition(Base):
    """Where a mobile camera (LPR trailer) was, as its position updates said."""

    __tablename__ = "camera_position"
    __table_args__ = (Index("ix_camera_position_camera_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("camera.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    received_at: Mapped[datetime]


class OutboundDelivery(Base):
    """One attempt to deliver an event to a webhook or MQTT destination."""

    __tablename__ = "outbound_delivery"
    __table_args__ = (Index("ix_outbound_delivery_destination_at", "destination", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    destination: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # webhook | mqtt
    event_type: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str | None] = mapped_column(String(200))  # e.g. hit:12
    attempt: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime]


# --- evidence exports ----------------------------------------------------------------------


class EvidenceExport(Base):
    """One evidence package: who asked for it and why, its window, and where it lies.

    The package itself (``rtcc.evidence``) is write-once; downloads are in the audit trail.
    """

    __tablename__ = "evidence_export"
    __table_args__ = (Index("ix_evidence_export_case", "case_number", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    legal_authority: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))
    source_kind: Mapped[str] = mapped_column(String(16))  # hit | read | reads | gunshot | window
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    cameras: Mapped[list[Any]]
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="running")  # done|failed|cancelled
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(String(500))  # relative to data_dir, once done
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    files: Mapped[int] = mapped_column(Integer, default=0)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    hold_ids: Mapped[list[Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


# --- transparency report (EO 78) and search oversight ---------------------------------------


class TransparencyEntry(Base):
    """One version of what a person entered for a technology's yearly report (never updated)."""

    __tablename__ = "transparency_entry"
    __table_args__ = (
        UniqueConstraint("year", "technology", "version", name="uq_transparency_entry_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    technology: Mapped[str] = mapped_column(String(16))  # lpr | video | gunshot
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per (year, technology)
    fields: Mapped[dict[str, Any]]
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime]


class TransparencySignoff(Base):
    """A named user signing off a year's report: the entered versions and the figures' digest."""

    __tablename__ = "transparency_signoff"
    __table_args__ = (Index("ix_transparency_signoff_year", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    versions: Mapped[dict[str, Any]]  # technology -> entered version signed
    figures_digest: Mapped[str] = mapped_column(String(64))
    checkpoint_row_id: Mapped[int] = mapped_column(Integer)  # audit head the figures were at
    statement: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime]


class UsageTally(Base):
    """Daily aggregate counts for the transparency report, made before retention can delete the
    rows they count. No personal data: no plate, no username, no row ids; keys are camera sites
    and types, hit dispositions, reject reasons, search purposes and roles. ``count`` is a
    number of items, or microseconds for the ``*_us`` metrics. One ``day_closed`` row marks a
    tallied day."""

    __tablename__ = "usage_tally"
    __table_args__ = (
        UniqueConstraint("day", "technology", "metric", "key", name="uq_usage_tally_day_metric"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)  # the UTC day [00:00, 24:00)
    technology: Mapped[str] = mapped_column(String(16))  # lpr | video | all
    metric: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(100), default="")
    count: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime]


class SearchReview(Base):
    """A search drawn into the auditor's monthly random sample, and the auditor's verdict."""

    __tablename__ = "search_review"
    __table_args__ = (
        UniqueConstraint("audit_event_id", name="uq_search_review_audit_event"),
        Index("ix_search_review_month", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM of the searches sampled
    audit_event_id: Mapped[int] = mapped_column(Integer)  # the reads.search row
    username: Mapped[str | None] = mapped_column(String(100))
    sampled_at: Mapped[datetime]
    justified: Mapped[bool | None] = mapped_column(Boolean)  # None: not reviewed yet
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]


class SearchVolumeAlert(Base):
    """A user's daily searches far above their own baseline (for supervisors and auditors)."""

    __tablename__ = "search_volume_alert"
    __table_args__ = (
        UniqueConstraint("username", "day", name="uq_search_volume_alert_user_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD (UTC)
    searches: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)  # mean daily searches before
    created_at: Mapped[datetime]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]


class BaseMap(Base):
    """An imported offline base map (PMTiles or MBTiles); the newest one is shown."""

    __tablename__ = "base_map"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16))  # pmtiles | mbtiles
    tile_type: Mapped[str] = mapped_column(String(16))  # png | jpeg | webp
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(500))  # relative to data_dir
    min_zoom: Mapped[int] = mapped_column(Integer)
    max_zoom: Mapped[int] = mapped_column(Integer)
    bounds: Mapped[list[Any] | None]  # [west, south, east, north]
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime]
