"""Plain data a camera worker hands to the core process (picklable, no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rtcc.plates import PlateReadRecord


@dataclass(frozen=True)
class StatusMessage:
    camera_id: str
    state: str  # starting | online | degraded | offline | error | failed
    at: datetime
    message: str | None = None
    input_fps: float = 0.0
    analysed_fps: float = 0.0
    skipped_frames: int = 0  # decoded but not sampled (detect_fps below the stream rate)
    last_frame_at: datetime | None = None
    reconnects: int = 0
    motion_skipped: int = 0  # sampled but not analysed: no motion
    analysed_frames: int = 0
    lag_s: float = 0.0  # how far analysis is behind real time
    max_lag_s: float = 0.0
    restarts: int | None = None  # set by the supervisor
    decoded_frames: int = 0  # frames decoded since the worker started (0: stream copy only)
    overload_skipped: int = 0  # wanted analysed, dropped: the recognizer was too far behind


@dataclass(frozen=True)
class ReadMessage:
    """A plate read of one camera: the tracker's record plus where the worker put its images."""

    camera_id: str
    record: PlateReadRecord
    snapshot_path: str | None  # relative to data_dir
    crop_path: str | None


@dataclass(frozen=True)
class SegmentMessage:
    camera_id: str
    start_at: datetime
    end_at: datetime
    path: str  # relative to data_dir
    bytes: int
    gap_before_s: float = 0.0  # no video for this long before start_at (a reconnect)
    gap_reason: str | None = None


WorkerMessage = StatusMessage | ReadMessage | SegmentMessage
