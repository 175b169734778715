"""Which hotlist entries does a read hit? The entries, the rules, and the swappable index."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist import lattice as lat
from hotlist.formats import is_state_code
from hotlist.index import Candidate, PlateIndex, canon_table
from hotlist.tables import Columns
from rtcc.config import MatchSettings
from rtcc.models import Hotlist, HotlistEntry
from rtcc.plate_formats import PlateModel, model_of_label
from rtcc.plates import CharAlternatives, PlateReadRecord

if TYPE_CHECKING:
    from hotlist.calibration import Calibration


@dataclass(frozen=True, slots=True)
class ListRef:
    """The list an entry belongs to (shared by all its entries)."""

    hotlist_id: int
    name: str
    kind: str = "custom"
    priority: int = 50
    colour: str = "#d9480f"
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class EntryRef:
    entry_id: int
    hotlist: ListRef
    plate: str
    state: str | None = None
    reason: str | None = None
    case_number: str | None = None
    description: str | None = None
    expires_at: datetime | None = None

    @property
    def hotlist_id(self) -> int:
        return self.hotlist.hotlist_id

    @property
    def hotlist_name(self) -> str:
        return self.hotlist.name

    @property
    def priority(self) -> int:
        return self.hotlist.priority


@dataclass(frozen=True, slots=True)
class Match:
    entry: EntryRef
    match_type: str  # exact | lattice | wildcard (confusable, fuzzy: older hits)
    distance: float = 0.0
    diff: tuple[tuple[int, str, str], ...] = ()  # (position, read char, entry char)
    score: float = 0.0
    llr: float | None = None  # lattice log-likelihood ratio (``hotlist.lattice.score``)
    posterior: float | None = None  # the read's posterior on the entry (an inexact hit)

    @property
    def needs_confirmation(self) -> bool:
        return self.match_type != "exact"


# An entry as stored in the index: (entry_id, hotlist_id, plate, state, reason, case_number,
# description, expires_at). Plain tuples keep a million entries cheap; ``EntryRef``s are made
# only for the entries a read matches.
EntryRow = tuple[int, int, str, str | None, str | None, str | None, str | None, datetime | None]


class HotlistIndex:
    """Entries plus their plate index; applies expiry and the state rule per match."""

    def __init__(self, entries: Iterable[EntryRef], rules: MatchSettings | None = None) -> None:
        refs = list(entries)
        rows: list[EntryRow] = [
            (
                e.entry_id,
                e.hotlist_id,
                e.plate,
                e.state,
                e.reason,
                e.case_number,
                e.description,
                e.expires_at,
            )
            for e in refs
        ]
        self._init(rows, {e.hotlist_id: e.hotlist for e in refs}, rules)

    @classmethod
    def from_rows(
        cls, rows: Sequence[EntryRow], lists: dict[int, ListRef], rules: MatchSettings | None
    ) -> HotlistIndex:
        index = cls.__new__(cls)
        index._init(rows, lists, rules)
        return index

    def _init(
        self, rows: Sequence[EntryRow], lists: dict[int, ListRef], rules: MatchSettings | None
    ) -> None:
        self.rules = rules or MatchSettings()
        self._lookalikes = lat.lookalike_map(self.rules.confusion_groups)
        self._columns = Columns(
            self._lookalikes,
            self.rules.lattice_lookalike_floor,
            self.rules.lattice_floor,
            canon_table(self.rules.confusion_groups),
        )
        self._rows = tuple(rows)  # of tuples: untracked by the collector, as the plates
        self._lists = lists
        self._plates = PlateIndex([r[2] for r in rows], self.rules)
        self.density = lat.ListDensity(self._plates.plates)
        self._policy: lat.Policy | None = None
        self.size = len(rows)
        self.calibration: Calibration | None = None  # when lattice_min_odds was chosen by one

    def ref(self, slot: int) -> EntryRef:
        r = self._rows[slot]
        return EntryRef(r[0], self._lists[r[1]], *r[2:])

    @property
    def entries(self) -> list[EntryRef]:
        return [self.ref(i) for i in range(self.size)]

    def match(
        self,
        plate: str,
        *,
        state: str | None,
        now: datetime,
        confidences: Sequence[float] | None = None,
        alternatives: CharAlternatives | None = None,
        region: str | None = None,
        exclude: frozenset[int] = frozenset(),
    ) -> list[Match]:
        """Entries ``plate`` hits, scored on the read's lattice (``hotlist.lattice``: its
        ``alternatives``, else one from its ``confidences``) against the background of its
        ``region`` (``rtcc.plate_formats.model_of_label``: the plate-string model of the region
        it names, ``lattice_region`` without one)."""
        if not plate or not self.size:
            return []
        out = []
        same_state = self.rules.require_same_state
        # The read's lattice (``lattice.lattice_of``) and its tables, positions memoised.
        lattice, tables = self._columns.read(plate, alternatives, confidences)
        bg = model_of_label(region, self.rules.lattice_region)
        for cand, post in self._lattice_candidates(plate, lattice, bg, tables):
            row = self._rows[cand.slot]
            if row[0] in exclude:
                continue
            expires = row[7]
            if expires is not None and expires <= now:
                continue
            if same_state and state and row[3] and state != row[3]:
                continue
            out.append(
                Match(
                    self.ref(cand.slot),
                    cand.match_type,
                    cand.distance,
                    cand.diff,
                    cand.score,
                    cand.llr,
                    post,
                )
            )
        return out

    def _lattice_candidates(
        self, plate: str, lattice: lat.Lattice, bg: PlateModel, tables: lat.Tables
    ) -> list[tuple[Candidate, float | None]]:
        """Every entry the read could hit on its lattice, the inexact ones kept only when
        ``hotlist.lattice.accepted`` accepts them (with their posterior)."""
        rules = self.rules
        policy = self._policy
        if policy is None or policy.listed is not self.density:
            # Built once per index (``Matcher.add`` may give an overlay another density).
            policy = self._policy = lat.Policy(
                self.density,
                rules.lattice_min_odds,
                rules.lattice_min_posterior,
                rules.lattice_floor,
                rules.lattice_max_paths,
                rules.lattice_indel,
            )
        cands = self._plates.lattice_candidates(plate, lattice, bg, policy, tables)
        listed = [self._rows[c.slot][2] for c in cands if c.match_type == "lattice"]
        if not listed:
            return [(c, None) for c in cands]
        # The index has already left out what ``may_hit`` rejects: the tables say so.
        keep = lat.accepted(plate, lattice, bg, policy, listed, tables)
        if any(c.match_type == "exact" for c in cands):
            # The read is itself listed: it explains the read unless another entry takes a
            # real share of the posterior (at least 1 / lattice_min_odds).
            keep = {s: p for s, p in keep.items() if p * rules.lattice_min_odds >= 1.0}
        return [
            (c, keep.get(self._rows[c.slot][2]))
            for c in cands
            if c.match_type != "lattice" or self._rows[c.slot][2] in keep
        ]


class Matcher:
    """The live index. A rebuilt index is swapped in whole; single added entries go into a
    small overlay and removed ones into a tombstone set until the next rebuild."""

    def __init__(self, index: HotlistIndex | None = None) -> None:
        self._index = index or HotlistIndex(())
        self._overlay = HotlistIndex((), self._index.rules)
        self._removed: frozenset[int] = frozenset()
        self._lock = threading.Lock()

    @property
    def index(self) -> HotlistIndex:
        return self._index

    def replace(self, index: HotlistIndex) -> None:
        with self._lock:
            self._index = index
            self._overlay = HotlistIndex((), index.rules)
            self._removed = frozenset()

    def add(self, entries: Iterable[EntryRef]) -> None:
        """Entries into the overlay, judged by the density of the index and overlay together
        (an entry added to a million-plate list is not on a list of one)."""
        with self._lock:
            merged = [*self._overlay.entries, *entries]
            overlay = HotlistIndex(merged, self._index.rules)
            overlay.density = self._index.density.plus(overlay.density)
            self._overlay = overlay

    def remove(self, entry_ids: Iterable[int]) -> None:
        with self._lock:
            self._removed = self._removed | frozenset(entry_ids)

    def match(
        self,
        plate: str,
        *,
        state: str | None,
        now: datetime,
        confidences: Sequence[float] | None = None,
        alternatives: CharAlternatives | None = None,
        region: str | None = None,
    ) -> list[Match]:
        index, overlay, removed = self._index, self._overlay, self._removed
        found = [
            m
            for ix in ((index, overlay) if overlay.size else (index,))
            for m in ix.match(
                plate,
                state=state,
                now=now,
                confidences=confidences,
                alternatives=alternatives,
                region=region,
                exclude=removed,
            )
        ]
        if overlay.size:
            found.sort(key=lambda m: m.score)
        return found

    def match_read(self, read: PlateReadRecord, *, now: datetime) -> list[Match]:
        """Entries a tracked read hits, with its confidences and per-character alternatives,
        scored in the read's region (``read_state``: the state rule sees only a state code)."""
        return self.match(
            read.plate,
            state=read_state(read.region),
            now=now,
            confidences=read.char_confidences or None,
            alternatives=read.char_alternatives or None,
            region=read.region,
        )


def read_state(region: str | None) -> str | None:
    """The state a read's ``region`` names for the state rule (``require_same_state``): a
    state code (``CA``) is one; a country the OCR names (``United States``, ``Unknown``) says
    nothing about the state, and an entry's state must not reject it."""
    return region if region is not None and is_state_code(region) else None


def list_ref(hotlist: Hotlist) -> ListRef:
    return ListRef(
        hotlist.id,
        hotlist.name,
        hotlist.kind,
        hotlist.priority,
        hotlist.colour,
        hotlist.restricted,
    )


def entry_ref(entry: HotlistEntry, ref: ListRef) -> EntryRef:
    return EntryRef(
        entry.id,
        ref,
        entry.plate,
        entry.state,
        entry.reason,
        entry.case_number,
        entry.description,
        entry.expires_at,
    )


def load_index(
    session: Session,
    *,
    now: datetime,
    rules: MatchSettings | None = None,
    hotlist_ids: Sequence[int] | None = None,
    min_entry_id: int | None = None,
) -> HotlistIndex:
    """Build an index of the active (unexpired) entries, optionally of some lists or only the
    entries newer than ``min_entry_id`` (for historical matching after an import)."""
    lists = {h.id: list_ref(h) for h in session.scalars(select(Hotlist))}
    t = HotlistEntry.__table__.c
    stmt = select(
        t.id,
        t.hotlist_id,
        t.plate,
        t.state,
        t.reason,
        t.case_number,
        t.description,
        t.expires_at,
    ).where((t.expires_at.is_(None)) | (t.expires_at > now))
    if hotlist_ids is not None:
        stmt = stmt.where(t.hotlist_id.in_(list(hotlist_ids)))
    if min_entry_id is not None:
        stmt = stmt.where(t.id >= min_entry_id)
    rows = [tuple(row) for row in session.execute(stmt)]
    return HotlistIndex.from_rows(rows, lists, rules)  # type: ignore[arg-type]
