"""Live video and playback as the API shows them: the timeline of a camera, live muxer stats."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from rtcc.schemas.cameras import SegmentOut
from rtcc.schemas.common import ReadModel, UtcDatetime


class Gap(ReadModel):
    start: UtcDatetime
    end: UtcDatetime
    reason: str | None = None  # why the video stopped, when the recorder knew


class Marker(ReadModel):
    """A read or a hit on the timeline (time and id only; the details need their own rights)."""

    kind: str  # read | hit
    id: int
    at: UtcDatetime


class TimelineOut(ReadModel):
    camera_id: str
    start: UtcDatetime
    end: UtcDatetime
    segments: list[SegmentOut]
    gaps: list[Gap]  # within [start, end]: time with no recorded video
    markers: list[Marker]


class LiveMuxerOut(ReadModel):
    camera_id: str
    stream: str  # main | detect
    viewers: int
    packets: int
    fragments: int
    bytes_out: int
    connects: int
    frames_decoded: int  # always 0: live video is stream copy
    error: str | None
    # "worker": the camera worker's own connection (no extra one); "camera": the server's own
    via: str | None = None


class VideoViewIn(BaseModel):
    """Opening recorded video at a moment ("video at this moment"), audited as a view."""

    model_config = ConfigDict(extra="forbid")

    at: datetime
    read_id: int | None = None
    hit_id: int | None = None
    reason: str | None = Field(default=None, max_length=500)


class VideoViewOut(ReadModel):
    camera_id: str
    at: UtcDatetime
    audited: bool
