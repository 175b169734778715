"""The match index: which hotlist entries does a read hit?"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc.models import Hotlist, HotlistEntry


@dataclass(frozen=True)
class EntryRef:
    entry_id: int
    hotlist_id: int
    hotlist_name: str
    plate: str
    state: str | None
    reason: str | None
    priority: int
    expires_at: datetime | None


@dataclass(frozen=True)
class Match:
    entry: EntryRef
    match_type: str  # exact | confusable | fuzzy | wildcard
    distance: float = 0.0
    diff: tuple[tuple[int, str, str], ...] = ()  # (position, read char, entry char)

    @property
    def needs_confirmation(self) -> bool:
        return self.match_type != "exact"


class HotlistIndex:
    """Exact-plate index over active entries."""

    def __init__(self, entries: Iterable[EntryRef]) -> None:
        self._by_plate: dict[str, list[EntryRef]] = defaultdict(list)
        self.size = 0
        for e in entries:
            self._by_plate[e.plate].append(e)
            self.size += 1

    def match(self, plate: str, *, state: str | None, now: datetime) -> list[Match]:
        out = []
        for entry in self._by_plate.get(plate, ()):
            if entry.expires_at is not None and entry.expires_at <= now:
                continue
            if state and entry.state and state != entry.state:
                continue
            out.append(Match(entry, "exact"))
        return out


class Matcher:
    """Holds the current index; the API swaps in a rebuilt one after a change."""

    def __init__(self, index: HotlistIndex | None = None) -> None:
        self._index = index or HotlistIndex(())
        self._lock = threading.Lock()

    @property
    def index(self) -> HotlistIndex:
        return self._index

    def replace(self, index: HotlistIndex) -> None:
        with self._lock:
            self._index = index

    def match(self, plate: str, *, state: str | None, now: datetime) -> list[Match]:
        return self._index.match(plate, state=state, now=now)


def load_index(session: Session, *, now: datetime) -> HotlistIndex:
    rows = session.execute(
        select(HotlistEntry, Hotlist.name, Hotlist.priority).join(
            Hotlist, Hotlist.id == HotlistEntry.hotlist_id
        )
    )
    refs = (
        EntryRef(
            e.id, e.hotlist_id, name, e.plate, e.state, e.reason, prio, e.expires_at
        )
        for e, name, prio in rows
        if e.expires_at is None or e.expires_at > now
    )
    return HotlistIndex(refs)
