"""Hotlists and their entries on a session (callers commit; everything here only flushes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from hotlist.bulk import bulk_insert, entry_row
from hotlist.formats import ParsedEntry, clean_plate, clean_state
from hotlist.hits import record_hit
from hotlist.managed import ensure_editable
from rtcc import audit
from rtcc.audit import Actor
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError
from rtcc.models import Hotlist, HotlistEntry
from rtcc.vocab import HotlistKind, values

__all__ = [
    "ImportStats",
    "LIST_KINDS",
    "add_entry",
    "create_list",
    "delete_entry",
    "ensure_editable",
    "get_list",
    "import_entries",
    "record_hit",
    "replace_list",
    "update_list",
]

LIST_KINDS = values(HotlistKind)
LIST_FIELDS = (
    "kind",
    "source",
    "priority",
    "colour",
    "restricted",
    "description",
    "manual_expiry_days",
    "alert_on_historical",
    "two_person_confirm",
)
CHUNK = 20_000
_KIND = re.compile(r"^[a-z][a-z_ ]{0,31}$")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportStats:
    hotlist_id: int
    added: int
    updated: int
    removed: int
    first_new_id: int  # entries with id >= this were inserted by the import
    new_keys: frozenset[tuple[str, str | None]]  # (plate, state) not on the list before


def get_list(
    session: Session, *, name: str | None = None, hotlist_id: int | None = None
) -> Hotlist:
    stmt = select(Hotlist)
    stmt = stmt.where(Hotlist.id == hotlist_id) if hotlist_id else stmt.where(Hotlist.name == name)
    hotlist = session.scalar(stmt)
    if hotlist is None:
        raise NotFoundError(f"no hotlist {name or hotlist_id!r}")
    return hotlist


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(LIST_FIELDS)
    if unknown:
        raise InvalidInputError(f"unknown hotlist field(s): {', '.join(sorted(unknown))}")
    if "kind" in fields and not _KIND.match(str(fields["kind"])):
        raise InvalidInputError(
            f"kind: a lower-case word such as {', '.join(LIST_KINDS)}", field="kind"
        )
    prio = fields.get("priority")
    if prio is not None and not 0 <= int(prio) <= 100:
        raise InvalidInputError("priority: 0 to 100", field="priority")
    days = fields.get("manual_expiry_days")
    if days is not None and not 1 <= int(days) <= 365:
        raise InvalidInputError("manual_expiry_days: 1 to 365", field="manual_expiry_days")


def create_list(
    session: Session, *, name: str, now: datetime, actor: Actor, **fields: Any
) -> Hotlist:
    _check_fields(fields)
    if session.scalar(select(Hotlist.id).where(Hotlist.name == name)) is not None:
        raise ConflictError(f"a hotlist named {name!r} exists")
    hotlist = Hotlist(name=name, created_at=now, updated_at=now, **fields)
    session.add(hotlist)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hotlist.create",
        target=f"hotlist:{hotlist.id}",
        details={"name": name, **fields},
    )
    return hotlist


def update_list(
    session: Session, *, hotlist: Hotlist, now: datetime, actor: Actor, **fields: Any
) -> Hotlist:
    ensure_editable(hotlist)
    _check_fields(fields)
    before = {k: getattr(hotlist, k) for k in fields}
    for key, value in fields.items():
        setattr(hotlist, key, value)
    hotlist.updated_at = now
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hotlist.update",
        target=f"hotlist:{hotlist.id}",
        details={"before": before, "after": fields},
    )
    return hotlist


def import_entries(
    session: Session,
    *,
    hotlist: Hotlist,
    entries: Sequence[ParsedEntry],
    now: datetime,
    actor: Actor,
    replace: bool = False,
    source: str | None = None,
    skipped: int = 0,
    progress: Progress | None = None,
) -> ImportStats:
    """Merge ``entries`` into the list (same plate and state: updated) or, with ``replace``,
    swap the whole list. Bulk statements in chunks, all in the caller's transaction."""
    t = cast(Table, HotlistEntry.__table__)
    latest: dict[tuple[str, str | None], ParsedEntry] = {(e.plate, e.state): e for e in entries}
    old = {
        (p, s): i
        for i, p, s in session.execute(
            select(t.c.id, t.c.plate, t.c.state).where(t.c.hotlist_id == hotlist.id)
        )
    }
    removed = updated = 0
    if replace:
        # The list becomes exactly the file, but entries that stay keep their ids, so hits
        # keep their entry and duplicate suppression holds across the daily refresh.
        stale = [i for k, i in old.items() if k not in latest]
        for start in range(0, len(stale), CHUNK):
            session.execute(delete(t).where(t.c.id.in_(stale[start : start + CHUNK])))
        removed = len(stale)
    to_update = [
        dict(entry_row(e, hotlist.id, actor.username, now), eid=old[k])
        for k, e in latest.items()
        if k in old
    ]
    to_insert = [e for k, e in latest.items() if k not in old]
    to_insert.sort(key=lambda e: e.plate)  # index pages fill in order: much faster inserts
    first_id = int(session.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0) + 1
    total, done = len(to_insert) + len(to_update), 0
    for start in range(0, len(to_insert), CHUNK):
        chunk = to_insert[start : start + CHUNK]
        bulk_insert(session, chunk, hotlist_id=hotlist.id, added_by=actor.username, now=now)
        done += len(chunk)
        if progress:
            progress(done, total)
    if to_update:
        updated = _update_rows(session, t, to_update)
        if progress:
            progress(total, total)
    hotlist.updated_at = now
    if source:
        hotlist.source = source
    session.flush()
    new_keys = frozenset(k for k in latest if k not in old)
    stats = ImportStats(hotlist.id, len(to_insert), updated, removed, first_id, new_keys)
    audit.record(
        session, now=now, actor=actor, action="hotlist.import", target=f"hotlist:{hotlist.id}",
        details={"name": hotlist.name, "replace": replace, "added": stats.added,
                 "updated": updated, "removed": removed, "skipped": skipped, "source": source},
    )
    return stats


def _update_rows(session: Session, t: Table, rows: list[dict[str, Any]]) -> int:
    """Update entries in place by id (``eid``), in chunks; returns how many."""
    stmt = (
        update(t)
        .where(t.c.id == bindparam("eid"))
        .values({c: bindparam(c) for c in rows[0] if c != "eid"})
    )
    for start in range(0, len(rows), CHUNK):
        session.execute(stmt, rows[start : start + CHUNK])
    return len(rows)


def add_entry(
    session: Session,
    *,
    hotlist: Hotlist,
    plate: str,
    now: datetime,
    actor: Actor,
    state: str | None = None,
    reason: str | None = None,
    case_number: str | None = None,
    description: str | None = None,
    expires_at: datetime | None = None,
    owner: str | None = None,
) -> HotlistEntry:
    clean, state = _checked_plate(plate, state)
    ensure_editable(hotlist)
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInputError("expires_at needs a time zone", field="expires_at")
    _refuse_duplicate(session, hotlist, clean, state)
    entry = HotlistEntry(
        hotlist_id=hotlist.id,
        plate=clean,
        is_wildcard="*" in clean or "?" in clean,
        state=state,
        reason=reason,
        case_number=case_number,
        description=description,
        expires_at=expires_at,
        added_by=actor.username,
        added_at=now,
        owner=owner,
    )
    session.add(entry)
    hotlist.updated_at = now
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hotlist.entry.add",
        target=f"hotlist_entry:{entry.id}",
        case_number=case_number,
        details={"hotlist": hotlist.name, "plate": clean, "state": state, "owner": owner,
                 "reason": reason, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return entry


def _checked_plate(plate: str, state: str | None) -> tuple[str, str | None]:
    """The normalized plate and state, or InvalidInputError naming the field at fault."""
    clean, why = clean_plate(plate)
    if why is None:
        state, why = clean_state(state)
    if why is not None or clean is None:
        raise InvalidInputError(
            why or "no plate", field="plate" if "plate" in (why or "") else "state"
        )
    return clean, state


def _refuse_duplicate(session: Session, hotlist: Hotlist, plate: str, state: str | None) -> None:
    """One entry per plate and state in a list: a second would alert twice."""
    same = session.scalar(
        select(HotlistEntry.id).where(
            HotlistEntry.hotlist_id == hotlist.id,
            HotlistEntry.plate == plate,
            HotlistEntry.state.is_(None) if state is None else HotlistEntry.state == state,
        )
    )
    if same is not None:
        raise ConflictError(
            f"{plate} ({state or 'any state'}) is already entry {same} of "
            f"{hotlist.name}; change that entry instead",
            field="plate",
        )


def delete_entry(session: Session, *, entry_id: int, now: datetime, actor: Actor) -> None:
    entry = session.get(HotlistEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"no hotlist entry {entry_id}")
    ensure_editable(session.get_one(Hotlist, entry.hotlist_id))
    details = {"hotlist_id": entry.hotlist_id, "plate": entry.plate, "state": entry.state}
    session.delete(entry)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hotlist.entry.delete",
        target=f"hotlist_entry:{entry_id}",
        details=details,
    )


def set_entry_expiry(
    session: Session, *, entry_id: int, expires_at: datetime | None, now: datetime, actor: Actor
) -> HotlistEntry:
    """Expire an entry (or change or clear its expiry); expired entries never hit."""
    entry = session.get(HotlistEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"no hotlist entry {entry_id}")
    ensure_editable(session.get_one(Hotlist, entry.hotlist_id))
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInputError("expires_at needs a time zone", field="expires_at")
    before = entry.expires_at
    entry.expires_at = expires_at
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hotlist.entry.expire",
        target=f"hotlist_entry:{entry_id}",
        case_number=entry.case_number,
        details={
            "plate": entry.plate,
            "from": before.isoformat() if before else None,
            "to": expires_at.isoformat() if expires_at else None,
        },
    )
    return entry


def replace_list(
    session: Session,
    *,
    name: str,
    entries: Iterable[ParsedEntry],
    now: datetime,
    kind: str = "custom",
    priority: int = 50,
    added_by: str | None = None,
    managed_file: str | None = None,
    **flags: Any,
) -> Hotlist:
    """Create or atomically refill a list (configured lists at start-up, marked as managed by
    ``managed_file``: read-only in the console and the API)."""
    actor = Actor(username=added_by or "system", roles=("system",), source="config")
    hotlist = session.scalar(select(Hotlist).where(Hotlist.name == name))
    if hotlist is None:
        hotlist = create_list(
            session, name=name, now=now, actor=actor, kind=kind, priority=priority, **flags
        )
    else:
        for key, value in {"kind": kind, "priority": priority, **flags}.items():
            setattr(hotlist, key, value)
    hotlist.managed_file = managed_file
    import_entries(
        session, hotlist=hotlist, entries=list(entries), now=now, actor=actor, replace=True
    )
    return hotlist
