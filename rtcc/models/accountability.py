"""Evidence exports, the transparency report's entries and sign-offs, search oversight."""


from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rtcc.models.base import Base


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
