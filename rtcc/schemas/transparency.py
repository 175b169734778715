"""The EO 78 transparency report, its entered versions, sign-off and the public page."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rtcc.schemas.common import Page, ReadModel

Technology = Literal["lpr", "video", "gunshot"]
# A count, a share, days by class, a breakdown by key, or "<N" when suppressed.
FigureValue = int | float | str | dict[str, int | str] | None
TEXT = 20_000


class WindowOut(ReadModel):
    start: str
    end: str


class ChainHeadOut(ReadModel):
    """The audit chain head (row id and hash) a figure was computed at."""

    row_id: int
    row_hash: str


class FigureOut(ReadModel):
    value: FigureValue
    kind: Literal["count", "share", "days", "flag", "hours", "breakdown"]
    suppressed: bool
    window: WindowOut
    checkpoint: ChainHeadOut


class EnteredOut(ReadModel):
    version: int
    fields: dict[str, str]
    entered_by: str
    entered_at: str


class TechnologyOut(ReadModel):
    technology: Technology
    units: dict[str, Any]
    uses_ai: bool | None  # None: not known to this system (a provider's classifier)
    ai_models: list[str]
    figures: dict[str, FigureOut]
    entered: EnteredOut | None
    retention_compliant: bool


class SignoffOut(ReadModel):
    signed_by: str
    signed_at: str
    statement: str | None
    versions: dict[str, int | None]
    figures_digest: str
    checkpoint_row_id: int
    entries_changed_since: bool
    figures_changed_since: bool


class SignedCheckpointOut(ReadModel):
    seq: int
    row_id: int
    made_at: str


class TransparencyReportOut(ReadModel):
    year: int
    generated_at: str
    window: WindowOut
    partial: bool  # the year is still running: counted up to generated_at
    checkpoint: ChainHeadOut
    signed_checkpoint: SignedCheckpointOut | None
    public: bool
    suppress_below: int
    figures_digest: str
    signoff: SignoffOut | None
    technologies: list[TechnologyOut]


class EntryVersionOut(ReadModel):
    year: int
    technology: Technology
    version: int
    fields: dict[str, str]
    entered_by: str
    entered_at: str


EntryVersionPage = Page[EntryVersionOut]


class EnteredIn(BaseModel):
    """The whole set of entered fields (a new version each save; empty: not stated)."""

    model_config = ConfigDict(extra="forbid")

    how_used: str | None = Field(default=None, max_length=TEXT)
    how_requested: str | None = Field(default=None, max_length=TEXT)
    funding: str | None = Field(default=None, max_length=TEXT)
    complaints: str | None = Field(default=None, max_length=TEXT)
    partnerships: str | None = Field(default=None, max_length=TEXT)
    effectiveness: str | None = Field(default=None, max_length=TEXT)
    policy_changes: str | None = Field(default=None, max_length=TEXT)


class SignoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: str | None = Field(default=None, max_length=2000)


class PublicTransparencyOut(ReadModel):
    """Aggregate figures only: no plate, user or camera-level detail."""

    generated_at: str
    window: WindowOut  # the last 30 days
    suppress_below: int
    cameras: dict[str, int | str]  # total, fixed, mobile, plate_recognition
    activity: dict[str, int | str]  # reads, hits, searches
    dispositions: dict[str, int | str]  # confirmed, rejected, acknowledged, unhandled
    retention_days: dict[str, int]
    policies: dict[str, Any]
    audit: dict[str, Any]  # last signed checkpoint: when, rows covered
