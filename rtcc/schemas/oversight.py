"""Search oversight: purpose codes, the auditor's sampled searches, search volume alerts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rtcc.schemas.common import Page, ReadModel, UtcDatetime


class PurposesOut(ReadModel):
    purposes: list[str]
    prohibited_purposes: list[str]
    legal_basis_required: list[str]


class SearchReviewOut(ReadModel):
    id: int
    month: str
    audit_event_id: int
    username: str | None
    searched_at: UtcDatetime | None
    purpose: str | None
    reason: str | None
    case_number: str | None
    query: dict[str, Any] | None
    results: int | None
    sampled_at: UtcDatetime
    justified: bool | None  # None: not reviewed yet
    note: str | None
    reviewed_by: str | None
    reviewed_at: UtcDatetime | None


SearchReviewPage = Page[SearchReviewOut]


class SampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    justified: bool
    note: str = Field(min_length=3, max_length=2000)


class VolumeAlertOut(ReadModel):
    id: int
    username: str
    day: str
    searches: int
    baseline: float
    created_at: UtcDatetime
    acknowledged_by: str | None
    acknowledged_at: UtcDatetime | None


VolumeAlertPage = Page[VolumeAlertOut]
