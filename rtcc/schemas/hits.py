"""Hits as the work queue, the detail page and the websocket show them."""

from __future__ import annotations

import builtins
from typing import Any, Protocol, Self

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc.models import Hit, HitEvent, HitSighting, Hotlist, HotlistEntry, PlateRead
from rtcc.schemas.common import Page, ReadModel, UtcDatetime, media_url
from rtcc.schemas.hotlists import EntryOut, HotlistRef
from rtcc.schemas.reads import ReadDetailOut
from rtcc.vocab import HitAction, HitStatus, MatchType, RejectReason


class EntryFacts(Protocol):
    """What a hit shows of its entry: a ``HotlistEntry`` row or the matcher's in-memory copy."""

    @property
    def state(self) -> str | None: ...
    @property
    def case_number(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...


class ListFacts(Protocol):
    """What a hit shows of its list: a ``Hotlist`` row or the matcher's in-memory copy."""

    @property
    def kind(self) -> str: ...
    @property
    def colour(self) -> str: ...
    @property
    def restricted(self) -> bool: ...


class CharDiff(ReadModel):
    position: int
    read: str
    entry: str


class HitOut(ReadModel):
    id: int
    plate: str
    entry_plate: str
    entry_id: int | None
    camera_id: str
    observed_at: UtcDatetime
    last_seen_at: UtcDatetime
    hotlist: str
    hotlist_id: int | None
    hotlist_kind: str | None
    colour: str | None
    restricted: bool | None
    reason: str | None
    priority: int
    match_type: MatchType
    distance: float
    needs_confirmation: bool
    diff: list[CharDiff]
    status: HitStatus
    status_by: str | None
    status_at: UtcDatetime | None
    reject_reason: RejectReason | None
    reject_text: str | None
    visually_confirmed: bool
    occurrences: int
    historical: bool
    read_id: int | None
    confidence: float | None
    snapshot_url: str | None
    crop_url: str | None
    entry_state: str | None
    case_number: str | None
    description: str | None
    entry_expires_at: UtcDatetime | None = None
    confirm_requested_by: str | None = None

    @classmethod
    def fields_of(
        cls, hit: Hit, read: PlateRead | None, *, entry: EntryFacts | None = None,
        hotlist: ListFacts | None = None,
    ) -> dict[str, Any]:
        return {
            "id": hit.id, "plate": hit.plate, "entry_plate": hit.entry_plate,
            "entry_id": hit.entry_id, "camera_id": hit.camera_id,
            "observed_at": hit.observed_at, "last_seen_at": hit.last_seen_at,
            "hotlist": hit.hotlist_name, "hotlist_id": hit.hotlist_id,
            "hotlist_kind": hotlist.kind if hotlist else None,
            "colour": hotlist.colour if hotlist else None,
            "restricted": hotlist.restricted if hotlist else None,
            "reason": hit.reason, "priority": hit.priority, "match_type": hit.match_type,
            "distance": hit.distance, "needs_confirmation": hit.needs_confirmation,
            "diff": [{"position": p, "read": r, "entry": e} for p, r, e in hit.diff or []],
            "status": hit.status, "status_by": hit.status_by, "status_at": hit.status_at,
            "reject_reason": hit.reject_reason, "reject_text": hit.reject_text,
            "visually_confirmed": hit.visually_confirmed, "occurrences": hit.occurrences,
            "historical": hit.historical, "read_id": hit.read_id,
            **_evidence(hit, read),
            **_entry_facts(hit, entry),
            "confirm_requested_by": hit.confirm_requested_by,
        }

    @classmethod
    def of(
        cls, hit: Hit, read: PlateRead | None, *, entry: EntryFacts | None = None,
        hotlist: ListFacts | None = None,
    ) -> Self:
        return cls(**cls.fields_of(hit, read, entry=entry, hotlist=hotlist))

    @classmethod
    def load(cls, session: Session, hit: Hit) -> Self:
        """The hit with its read, entry and list looked up by id."""
        read, entry, hotlist = _related(session, hit)
        return cls.of(hit, read, entry=entry, hotlist=hotlist)


class HitHistoryOut(ReadModel):
    """One workflow step or note."""

    at: UtcDatetime
    username: str | None
    action: HitAction
    from_: HitStatus | None = Field(alias="from")
    to: HitStatus | None
    note: str | None

    model_config = ReadModel.model_config | {"populate_by_name": True, "serialize_by_alias": True}

    @classmethod
    def of(cls, e: HitEvent) -> Self:
        return cls.model_validate({"at": e.at, "username": e.username, "action": e.action,
                                   "from": e.from_status, "to": e.to_status, "note": e.note})


MAX_SIGHTINGS = 100  # a parked car folds a pass every ``track_max_s``: the detail shows the latest


class SightingOut(ReadModel):
    """A later pass of the hit's vehicle, with its own read and images."""

    id: int
    read_id: int | None
    camera_id: str
    plate: str
    confidence: float | None
    snapshot_url: str | None
    crop_url: str | None
    observed_at: UtcDatetime
    last_seen_at: UtcDatetime

    @classmethod
    def of(cls, s: HitSighting) -> Self:
        return cls(
            id=s.id, read_id=s.read_id, camera_id=s.camera_id, plate=s.plate,
            confidence=round(s.confidence, 4) if s.confidence is not None else None,
            snapshot_url=media_url(s.snapshot_path), crop_url=media_url(s.crop_path),
            observed_at=s.observed_at, last_seen_at=s.last_seen_at,
        )


class HitDetailOut(HitOut):
    """A hit in full: the read and images that raised it (never replaced), its later sightings,
    the entry and list as they are now, and its history."""

    read: ReadDetailOut | None
    sightings: builtins.list[SightingOut] = Field(default_factory=builtins.list)
    entry: EntryOut | None
    list: HotlistRef | None
    history: builtins.list[HitHistoryOut]  # ``list`` is a field here

    @classmethod
    def load(cls, session: Session, hit: Hit) -> Self:
        read, entry, hotlist = _related(session, hit)
        events = session.scalars(
            select(HitEvent).where(HitEvent.hit_id == hit.id).order_by(HitEvent.id)
        )
        latest = session.scalars(  # the latest ones (``occurrences`` counts them all)
            select(HitSighting).where(HitSighting.hit_id == hit.id)
            .order_by(HitSighting.id.desc()).limit(MAX_SIGHTINGS)
        )
        seen = reversed(list(latest))
        fields = cls.fields_of(hit, read, entry=entry, hotlist=hotlist)
        return cls(
            **fields,
            read=_raising_read(read, fields),
            sightings=[SightingOut.of(s) for s in seen],
            entry=EntryOut.of(entry) if entry else None,
            list=HotlistRef.of(hotlist) if hotlist else None,
            history=[HitHistoryOut.of(e) for e in events],
        )


def _evidence(hit: Hit, read: PlateRead | None) -> dict[str, Any]:
    """The images and confidence that raised the hit (rows from before write-once evidence
    fall back to the read)."""
    if hit.snapshot_path or hit.crop_path or hit.read_confidence is not None:
        conf, snap, crop = hit.read_confidence, hit.snapshot_path, hit.crop_path
    elif read is not None:
        conf, snap, crop = read.confidence, read.snapshot_path, read.crop_path
    else:
        conf = snap = crop = None
    return {
        "confidence": round(conf, 4) if conf is not None else None,
        "snapshot_url": media_url(snap),
        "crop_url": media_url(crop),
    }


def _entry_facts(hit: Hit, entry: EntryFacts | None) -> dict[str, Any]:
    """The entry as it was matched (copied onto the hit), never as it is now."""
    copied = any(
        v is not None
        for v in (hit.entry_state, hit.case_number, hit.entry_description, hit.entry_expires_at)
    )
    if not copied and entry is not None:  # a hit stored before the copy existed
        return {"entry_state": entry.state, "case_number": entry.case_number,
                "description": entry.description, "entry_expires_at": None}
    return {"entry_state": hit.entry_state, "case_number": hit.case_number,
            "description": hit.entry_description, "entry_expires_at": hit.entry_expires_at}


def _raising_read(read: PlateRead | None, fields: dict[str, Any]) -> ReadDetailOut | None:
    """The read that raised the hit, with the images the hit was raised on."""
    if read is None:
        return None
    update = {"snapshot_url": fields["snapshot_url"], "crop_url": fields["crop_url"]}
    if fields["confidence"] is not None:
        update["confidence"] = fields["confidence"]
    return ReadDetailOut.of(read).model_copy(update=update)


def _related(
    session: Session, hit: Hit
) -> tuple[PlateRead | None, HotlistEntry | None, Hotlist | None]:
    read = session.get(PlateRead, hit.read_id) if hit.read_id else None
    entry = session.get(HotlistEntry, hit.entry_id) if hit.entry_id else None
    hotlist = session.get(Hotlist, hit.hotlist_id) if hit.hotlist_id else None
    return read, entry, hotlist


class HitPage(Page[HitOut]):
    """The hits work queue."""
