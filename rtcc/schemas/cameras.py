"""Cameras, their health and recorded segments as the API and the websocket show them."""

from __future__ import annotations

from typing import Any, Literal, Self

from rtcc.models import Camera, VideoSegment
from rtcc.schemas.common import ReadModel, UtcDatetime
from rtcc.vocab import CameraState


class CameraOut(ReadModel):
    camera_id: str
    name: str
    state: CameraState
    since: UtcDatetime | None
    reason: str | None = None  # why it is in this state now ("analysis 2.0 s behind")
    last_error: str | None
    input_fps: float
    analysed_fps: float
    skipped_frames: int
    motion_skipped_frames: int
    restarts: int
    last_frame_at: UtcDatetime | None
    reconnects: int
    node: str | None = None  # the camera node running it (None: this host, or not running)

    @classmethod
    def fields_of(cls, cam: Camera) -> dict[str, Any]:
        return {
            "camera_id": cam.id, "name": cam.name, "state": cam.state,
            "since": cam.state_since_at, "reason": cam.state_reason,
            "last_error": cam.last_error,
            "input_fps": round(cam.input_fps, 2), "analysed_fps": round(cam.analysed_fps, 2),
            "skipped_frames": cam.skipped_frames,
            "motion_skipped_frames": cam.motion_skipped_frames, "restarts": cam.restarts,
            "last_frame_at": cam.last_frame_at, "reconnects": cam.reconnects,
            "node": cam.node,
        }

    @classmethod
    def of(cls, cam: Camera) -> Self:
        return cls(**cls.fields_of(cam))


class Window(ReadModel):
    start: UtcDatetime
    end: UtcDatetime


class OfflineInterval(ReadModel):
    start: UtcDatetime
    end: UtcDatetime | None  # still down
    state: CameraState


class StateSpan(ReadModel):
    """A stretch of the uptime window in one state; "unknown" where no server was running,
    before the camera existed or before its first recorded state."""

    start: UtcDatetime
    end: UtcDatetime
    state: CameraState | Literal["unknown"]


class CameraDetailOut(CameraOut):
    """Health plus uptime over the last 24 h (of the time known) and the offline intervals."""

    uptime_24h: float | None
    uptime_window: Window
    offline_intervals: list[OfflineInterval]
    unknown_s: float = 0.0  # seconds of the window with no known state
    timeline: list[StateSpan] = []


class SegmentOut(ReadModel):
    id: int
    camera_id: str
    start_at: UtcDatetime
    end_at: UtcDatetime
    bytes: int
    url: str
    gap_before_s: float = 0.0  # no video for this long before start_at (a reconnect)
    gap_reason: str | None = None

    @classmethod
    def of(cls, seg: VideoSegment) -> Self:
        return cls(id=seg.id, camera_id=seg.camera_id, start_at=seg.start_at, end_at=seg.end_at,
                   bytes=seg.bytes, url=f"/api/cameras/{seg.camera_id}/segments/{seg.id}/video.mp4",
                   gap_before_s=seg.gap_before_s or 0.0, gap_reason=seg.gap_reason)


class ProbeOut(ReadModel):
    """A connection test: did the camera answer, and with what (or why not)."""

    ok: bool
    state: CameraState  # what the camera's state would be
    message: str  # credentials redacted
    codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    elapsed_s: float
