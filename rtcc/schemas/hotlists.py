"""Hotlists and their entries as the API shows them."""

from __future__ import annotations

from typing import Any, Self

from rtcc.models import Hotlist, HotlistEntry
from rtcc.schemas.common import Page, ReadModel, UtcDatetime


class HotlistRef(ReadModel):
    """A list as a hit names it."""

    id: int
    name: str
    kind: str
    priority: int
    colour: str
    restricted: bool
    source: str | None

    @classmethod
    def of(cls, h: Hotlist) -> Self:
        return cls(id=h.id, name=h.name, kind=h.kind, priority=h.priority, colour=h.colour,
                   restricted=h.restricted, source=h.source)


class HotlistOut(ReadModel):
    id: int
    name: str
    kind: str
    source: str | None
    priority: int
    colour: str
    restricted: bool
    description: str | None
    entries: int | None  # how many entries; null where not counted (after an edit)
    manual_expiry_days: int  # manual entries' default (and longest) expiry
    alert_on_historical: bool = False  # historical hits raise the alert too
    two_person_confirm: bool = False  # a second user completes a confirmation
    managed_file: str | None = None  # loaded from this configured file: read-only here
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, h: Hotlist, entries: int | None = None) -> Self:
        return cls(id=h.id, name=h.name, kind=h.kind, source=h.source, priority=h.priority,
                   colour=h.colour, restricted=h.restricted, description=h.description,
                   entries=entries, manual_expiry_days=h.manual_expiry_days or 30,
                   alert_on_historical=bool(h.alert_on_historical),
                   two_person_confirm=bool(h.two_person_confirm), managed_file=h.managed_file,
                   created_at=h.created_at, updated_at=h.updated_at)


class EntryOut(ReadModel):
    id: int
    hotlist_id: int
    plate: str
    state: str | None
    reason: str | None
    case_number: str | None
    description: str | None
    expires_at: UtcDatetime | None
    is_wildcard: bool
    extra: dict[str, Any] | None
    added_by: str | None
    added_at: UtcDatetime
    owner: str | None = None  # manual entries: who answers for it

    @classmethod
    def fields_of(cls, e: HotlistEntry) -> dict[str, Any]:
        return {
            "id": e.id, "hotlist_id": e.hotlist_id, "plate": e.plate, "state": e.state,
            "reason": e.reason, "case_number": e.case_number, "description": e.description,
            "expires_at": e.expires_at, "is_wildcard": e.is_wildcard, "extra": e.extra,
            "added_by": e.added_by, "added_at": e.added_at, "owner": e.owner,
        }

    @classmethod
    def of(cls, e: HotlistEntry) -> Self:
        return cls(**cls.fields_of(e))


class NewEntryOut(EntryOut):
    """An entry just added by hand, and how many past reads it matched."""

    historical_hits: int


class SkippedLine(ReadModel):
    line: int
    reason: str


class ImportOut(ReadModel):
    """What a file import changed."""

    hotlist_id: int
    name: str
    added: int
    updated: int
    removed: int
    skipped: list[SkippedLine]
    skipped_count: int
    historical_hits: int


class DeletedOut(ReadModel):
    deleted: int


class HotlistPage(Page[HotlistOut]):
    """Every list the caller may see."""


class EntryPage(Page[EntryOut]):
    """One page of a list's entries."""


class HotlistChange(ReadModel):
    """A list or its entries changed (``origin``: the instance that made the change, which has
    already swapped its own index). Travels between instances; never sent to browsers."""

    hotlist_id: int | None
    change: str  # "import", "entry_added", "entry_removed", "entry_expired", "list_updated"
    origin: str
