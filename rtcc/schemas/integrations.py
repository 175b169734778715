"""Read models of the integrations API: gunshot alerts, their coverage and outcomes, mobile
camera positions."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from rtcc.models import CameraPosition, GunshotAlert, GunshotBookmark, GunshotOutcome
from rtcc.schemas.common import ReadModel, UtcDatetime
from rtcc.schemas.reads import ReadOut
from rtcc.vocab import GunshotType


class CoveringOut(ReadModel):
    camera_id: str
    name: str
    distance_m: float


class GunshotAlertOut(ReadModel):
    """One version of an alert, as the ``gunshot`` event and the API show it."""

    source: str
    alert_id: str
    version: int
    alert_type: GunshotType
    rounds: int | None
    latitude: float
    longitude: float
    address: str | None
    detected_at: UtcDatetime
    received_at: UtcDatetime
    covering: list[CoveringOut] = Field(default_factory=list)

    @classmethod
    def of(cls, row: GunshotAlert, covering: list[CoveringOut] | None = None) -> Self:
        return cls(
            source=row.source, alert_id=row.alert_id, version=row.version,
            alert_type=GunshotType(row.type), rounds=row.rounds, latitude=row.lat,
            longitude=row.lon, address=row.address, detected_at=row.detected_at,
            received_at=row.received_at, covering=covering or [],
        )


class BookmarkOut(ReadModel):
    camera_id: str
    distance_m: float
    start_at: UtcDatetime
    end_at: UtcDatetime

    @classmethod
    def of(cls, row: GunshotBookmark) -> Self:
        return cls(camera_id=row.camera_id, distance_m=round(row.distance_m, 1),
                   start_at=row.start_at, end_at=row.end_at)


class OutcomeOut(ReadModel):
    evidence_found: bool
    case_number: str | None
    note: str | None
    recorded_by: str
    recorded_at: UtcDatetime

    @classmethod
    def of(cls, row: GunshotOutcome) -> Self:
        return cls(evidence_found=row.evidence_found, case_number=row.case_number,
                   note=row.note, recorded_by=row.recorded_by, recorded_at=row.recorded_at)


class ReadsNearCountOut(ReadModel):
    """How many plate reads there are near the alert; the plates need a stated purpose."""

    count: int
    radius_m: float
    start: UtcDatetime
    end: UtcDatetime


class GunshotDetailOut(ReadModel):
    alert: GunshotAlertOut  # the latest version
    versions: list[GunshotAlertOut]
    bookmarks: list[BookmarkOut]
    outcomes: list[OutcomeOut]
    reads_near: ReadsNearCountOut


class GunshotListOut(ReadModel):
    items: list[GunshotAlertOut]
    count: int


class ReadsNearOut(ReadModel):
    items: list[ReadOut]
    count: int
    case_number: str


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence_found: bool
    case_number: str | None = Field(default=None, max_length=64,
                                    pattern=r"^[A-Za-z0-9][A-Za-z0-9_./:#-]{0,63}$")
    note: str | None = Field(default=None, max_length=2000)


class PositionOut(ReadModel):
    camera_id: str
    latitude: float
    longitude: float
    at: UtcDatetime

    @classmethod
    def of(cls, row: CameraPosition) -> Self:
        return cls(camera_id=row.camera_id, latitude=row.lat, longitude=row.lon, at=row.at)


class TrackOut(ReadModel):
    camera_id: str
    items: list[PositionOut]
    count: int
