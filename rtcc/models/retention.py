"""Legal holds, retention runs and the daily usage tallies that outlive them."""


from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rtcc.models.base import Base


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
