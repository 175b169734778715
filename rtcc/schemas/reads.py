"""Plate reads as the API, the websocket and CSV exports show them."""

from __future__ import annotations

from typing import Any, Self

from rtcc.models import PlateRead
from rtcc.schemas.common import Page, ReadModel, UtcDatetime, media_url
from rtcc.vocab import ReadStatus


class ReadOut(ReadModel):
    id: int
    camera_id: str
    plate: str
    confidence: float
    status: ReadStatus
    region: str | None
    frames: int
    observed_at: UtcDatetime
    last_seen_at: UtcDatetime
    snapshot_url: str | None
    crop_url: str | None

    @classmethod
    def fields_of(cls, read: PlateRead) -> dict[str, Any]:
        return {
            "id": read.id,
            "camera_id": read.camera_id,
            "plate": read.plate,
            "confidence": round(read.confidence, 4),
            "status": read.status,
            "region": read.region,
            "frames": read.frames,
            "observed_at": read.observed_at,
            "last_seen_at": read.last_seen_at,
            "snapshot_url": media_url(read.snapshot_path),
            "crop_url": media_url(read.crop_path),
        }

    @classmethod
    def of(cls, read: PlateRead) -> Self:
        return cls(**cls.fields_of(read))


class ReadDetailOut(ReadOut):
    """A read with what the recognizer saw: per-character confidences and the plate's box."""

    char_confidences: list[Any] | None
    box: list[int] | None

    @classmethod
    def of(cls, read: PlateRead) -> Self:
        return cls(**cls.fields_of(read), char_confidences=read.char_confidences, box=read.box)


class RecentReads(Page[ReadOut]):
    """The newest reads, as the live feed shows them."""


class ReadPage(Page[ReadOut]):
    """One page of a purpose-gated search."""

    total: int
    limit: int
    offset: int
