"""Hotlist changes end to end: write in one transaction, swap the live index, match past reads
(historical hits) and publish the new hits. Used by the API and the CLI."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotlist.calibration import calibrate, with_min_odds
from hotlist.historical import match_past_reads, new_entries_index
from hotlist.importer import ImportFile
from hotlist.matcher import HotlistIndex, entry_ref, list_ref, load_index
from hotlist.service import (
    ImportStats,
    Progress,
    create_list,
    ensure_editable,
    import_entries,
)
from rtcc.audit import Actor
from rtcc.db import transaction
from rtcc.events import HotlistChangedEvent, NewHitEvent, SyncSubscription
from rtcc.models import Hit, Hotlist, HotlistEntry, PlateRead
from rtcc.runtime.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    hotlist_id: int
    name: str
    added: int
    updated: int
    removed: int
    skipped: list[dict[str, Any]]
    historical_hits: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "skipped_count": len(self.skipped)}


def rebuild_index(services: Services) -> None:
    rules = services.settings.matching
    with services.sessions() as session:
        index = load_index(session, now=services.clock.now(), rules=rules)
    if rules.false_hits_per_million is not None and index.size:
        cal = calibrate(index, rules.false_hits_per_million, now=services.clock.now(),
                        reads=rules.calibration_reads)
        index = with_min_odds(index, cal.min_odds)
        index.calibration = cal
        log.info("hotlist index: lattice_min_odds %.3g for %g false hits per million reads"
                 " (%g on %d drawn reads)", cal.min_odds, cal.target_per_million,
                 cal.expected_per_million, cal.reads)
    services.matcher.replace(index)


def lists_fingerprint(services: Services) -> tuple[Any, ...]:
    """Changes whenever any process adds, removes or re-imports entries or edits a list."""
    with services.sessions() as session:
        entries = session.execute(
            select(func.count(HotlistEntry.id), func.max(HotlistEntry.id))
        ).one()
        lists = session.execute(select(func.count(Hotlist.id), func.max(Hotlist.updated_at))).one()
    return (*entries, *lists)


def announce_change(services: Services, *, hotlist_id: int | None, change: str) -> None:
    """Tell every other instance sharing the bus to reload its index (after the commit)."""
    services.bus.publish(
        HotlistChangedEvent(hotlist_id=hotlist_id, change=change, origin=services.instance_id)
    )


class HotlistWatcher:
    """Rebuilds the live index when another instance or process changed the lists: at once on a
    ``hotlist_changed`` event from the bus, and by a fingerprint look every ``interval_s`` (a
    change made while the bus was away, or by a process without one)."""

    def __init__(self, services: Services, *, interval_s: float = 15.0) -> None:
        self.services = services
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hotlist-watch", daemon=True)
        self._listener = threading.Thread(target=self._listen, name="hotlist-events", daemon=True)
        self._sub: SyncSubscription | None = None
        self._lock = threading.Lock()
        self._seen: tuple[Any, ...] | None = None
        self.rebuilds = 0

    def start(self) -> None:
        self._sub = self.services.bus.subscribe(maxsize=1000)
        self._seen = lists_fingerprint(self.services)
        self._thread.start()
        self._listener.start()

    def check(self, *, force: bool = False) -> bool:
        """Rebuild if the lists changed since the last look (or ``force``); True when it did."""
        with self._lock:
            current = lists_fingerprint(self.services)
            if current == self._seen and not force:
                return False
            rebuild_index(self.services)
            self._seen = current
            self.rebuilds += 1
            return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - keep watching; the next look may succeed
                log.exception("hotlist index refresh failed")

    def _listen(self) -> None:
        assert self._sub is not None
        while not self._stop.is_set():
            if not self._changed_elsewhere(self._sub, timeout=0.5):
                continue
            while self._changed_elsewhere(self._sub, timeout=0.0):
                pass  # a burst of changes: one rebuild
            try:
                self.check(force=True)  # an expiry or an edit leaves the fingerprint alone
            except Exception:  # noqa: BLE001 - the periodic look retries
                log.exception("hotlist index reload on a change event failed")

    def _changed_elsewhere(self, sub: SyncSubscription, *, timeout: float) -> bool:
        try:
            event = sub.get(timeout=timeout)
        except queue.Empty:
            return False
        return (isinstance(event, HotlistChangedEvent)
                and event.origin != self.services.instance_id)

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._listener):
            if thread.is_alive():
                thread.join(5)
        if self._sub is not None:
            self._sub.close()


def historical_event(session: Session, hit: Hit) -> NewHitEvent:
    """A hit found in past reads: listed and marked, alerting only on lists that ask for it."""
    hotlist = session.get(Hotlist, hit.hotlist_id) if hit.hotlist_id else None
    event = NewHitEvent.load(session, hit)
    return event.model_copy(update={"alert": bool(hotlist and hotlist.alert_on_historical)})


def _since(services: Services, now: datetime) -> datetime:
    return now - timedelta(days=services.settings.retention.plate_reads_days)


def _match_history(
    services: Services, session: Session, *, hotlist_id: int, stats: ImportStats, now: datetime
) -> list[Hit]:
    """Historical hits of the entries just added, against the reads still kept."""
    rules = services.settings.matching
    since = _since(services, now)
    if not rules.historical or not stats.new_keys:
        return []
    if session.scalar(select(PlateRead.id).where(PlateRead.observed_at >= since).limit(1)) is None:
        return []
    fresh = new_entries_index(
        session, hotlist_id=hotlist_id, first_new_id=stats.first_new_id,
        new_keys=stats.new_keys, now=now, rules=rules,
    )
    return match_past_reads(
        session, index=fresh, since=since, now=now, dedup_window_s=rules.dedup_window_s
    )


def import_hotlist(
    services: Services,
    *,
    name: str,
    imported: ImportFile,
    actor: Actor,
    replace: bool = False,
    list_fields: dict[str, Any] | None = None,
    progress: Progress | None = None,
    rebuild: bool = True,
) -> ImportResult:
    """Import a parsed file into list ``name`` (created if missing) atomically; ``rebuild``
    swaps this process's live index (a CLI import has none to update)."""
    now = services.clock.now()
    with transaction(services.sessions) as session:
        hotlist = session.scalar(select(Hotlist).where(Hotlist.name == name))
        if hotlist is None:
            hotlist = create_list(session, name=name, now=now, actor=actor, **(list_fields or {}))
        ensure_editable(hotlist)  # a configured list changes only through its file
        stats = import_entries(
            session,
            hotlist=hotlist,
            entries=imported.entries,
            now=now,
            actor=actor,
            replace=replace,
            source=imported.source,
            skipped=len(imported.skipped),
            progress=progress,
        )
        hits = _match_history(services, session, hotlist_id=hotlist.id, stats=stats, now=now)
        events = [historical_event(session, h) for h in hits]
    if rebuild:
        rebuild_index(services)
    announce_change(services, hotlist_id=hotlist.id, change="import")
    for event in events:
        services.bus.publish(event)
    return ImportResult(
        hotlist.id,
        hotlist.name,
        stats.added,
        stats.updated,
        stats.removed,
        [{"line": e.line, "reason": e.reason} for e in imported.skipped],
        len(hits),
    )


def entry_added(services: Services, *, entry_id: int) -> list[Hit]:
    """After a manual entry is committed: add it to the live index, find historical hits."""
    now = services.clock.now()
    rules = services.settings.matching
    with transaction(services.sessions) as session:
        entry = session.get(HotlistEntry, entry_id)
        if entry is None:
            return []
        ref = entry_ref(entry, list_ref(session.get_one(Hotlist, entry.hotlist_id)))
        services.matcher.add([ref])
        hits: list[Hit] = []
        if rules.historical:
            hits = match_past_reads(
                session,
                index=HotlistIndex([ref], rules),
                since=_since(services, now),
                now=now,
                dedup_window_s=rules.dedup_window_s,
            )
        events = [historical_event(session, h) for h in hits]
        hotlist_id = entry.hotlist_id
    announce_change(services, hotlist_id=hotlist_id, change="entry_added")
    for event in events:
        services.bus.publish(event)
    return hits
