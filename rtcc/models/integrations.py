"""Gunshot alerts, signed-request replay guard, outbound deliveries and base maps."""


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
