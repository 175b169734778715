"""Plate reads, hotlists and their entries, hits with their sightings and workflow."""


from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rtcc.models.base import Base


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
    region: Mapped[str | None] = mapped_column(String(64))  # state code or OCR country name
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
