"""Cameras, their health history, server runs, recorded video and trailer positions."""


from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from rtcc.models.base import Base


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
