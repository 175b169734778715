"""Plain data a camera worker hands to the core process (picklable, no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


@dataclass(frozen=True)
class ReadMessage:
    camera_id: str
    track_key: str
    status: str  # preview | final
    plate: str
    confidence: float
    char_confidences: tuple[float, ...]
    region: str | None
    format_ok: bool
    frames: int
    first_seen: datetime
    last_seen: datetime
    box: tuple[int, int, int, int]
    snapshot_path: str | None  # relative to data_dir
    crop_path: str | None
    raw_text: str | None = None


@dataclass(frozen=True)
class SegmentMessage:
    camera_id: str
    start_at: datetime
    end_at: datetime
    path: str  # relative to data_dir
    bytes: int


WorkerMessage = StatusMessage | ReadMessage | SegmentMessage
