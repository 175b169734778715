"""Hotlists and their entries on a session (callers commit; everything here only flushes)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

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
        dict(_row(e, hotlist.id, actor.username, now), eid=old[k])
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
        stmt = (
            update(t)
            .where(t.c.id == bindparam("eid"))
            .values({c: bindparam(c) for c in to_update[0] if c != "eid"})
        )
        for start in range(0, len(to_update), CHUNK):
            session.execute(stmt, to_update[start : start + CHUNK])
        updated = len(to_update)
        if progress:
            progress(total, total)
    hotlist.updated_at = now
    if source:
        hotlist.source = source
    session.flush()
    new_keys = frozenset(k for k in latest if k not in old)
    stats = ImportStats(hotlist.id, len(to_insert), updated, removed, first_id, new_keys)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hotlist.import",
        target=f"hotlist:{hotlist.id}",
        details={
            "name": hotlist.name,
            "replace": replace,
            "added": stats.added,
            "updated": updated,
            "removed": removed,
            "skipped": skipped,
            "source": source,
        },
    )
    return stats


INSERT_COLUMNS = (
    "hotlist_id",
    "plate",
    "is_wildcard",
    "state",
    "reason",
    "case_number",
    "description",
    "extra",
    "expires_at",
    "added_by",
    "added_at",
)


def bulk_insert(
    session: Session,
    entries: Sequence[ParsedEntry],
    *,
    hotlist_id: int,
    added_by: str | None,
    now: datetime,
) -> None:
    """Insert entries on the session's connection (same transaction) without per-row ORM or
    SQL-expression overhead: COPY on PostgreSQL, a driver-level executemany elsewhere."""
    conn = session.connection()
    dialect = conn.dialect
    cols = HotlistEntry.__table__.c
    if dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection  # psycopg 3: COPY support
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY hotlist_entry ({', '.join(INSERT_COLUMNS)}) FROM STDIN") as copy,
        ):
            for e in entries:
                copy.write_row(_values(e, hotlist_id, added_by, now, json.dumps, _same))
        return
    to_db_time = cols.expires_at.type.bind_processor(dialect) or _same
    to_db_json = cols.extra.type.bind_processor(dialect) or _same
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in INSERT_COLUMNS)
    sql = f"INSERT INTO hotlist_entry ({', '.join(INSERT_COLUMNS)}) VALUES ({marks})"
    rows = [_values(e, hotlist_id, added_by, now, to_db_json, to_db_time) for e in entries]
    conn.exec_driver_sql(sql, rows)


def _same(value: Any) -> Any:
    return value


def _values(
    e: ParsedEntry,
    hotlist_id: int,
    added_by: str | None,
    now: datetime,
    json_of: Callable[[Any], Any],
    time_of: Callable[[Any], Any],
) -> tuple[Any, ...]:
    """One row in ``INSERT_COLUMNS`` order, with the driver's JSON and time conversions."""
    return (
        hotlist_id,
        e.plate,
        e.is_wildcard,
        e.state,
        e.reason,
        e.case_number,
        e.description,
        json_of(e.extra) if e.extra else None,
        time_of(e.expires_at) if e.expires_at else None,
        added_by,
        time_of(now),
    )


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
    clean, why = clean_plate(plate)
    if why is None:
        state, why = clean_state(state)
    if why is not None or clean is None:
        raise InvalidInputError(
            why or "no plate", field="plate" if "plate" in (why or "") else "state"
        )
    ensure_editable(hotlist)
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInputError("expires_at needs a time zone", field="expires_at")
    same = session.scalar(
        select(HotlistEntry.id).where(
            HotlistEntry.hotlist_id == hotlist.id,
            HotlistEntry.plate == clean,
            HotlistEntry.state.is_(None) if state is None else HotlistEntry.state == state,
        )
    )
    if same is not None:  # one entry per plate and state: a second would alert twice
        raise ConflictError(
            f"{clean} ({state or 'any state'}) is already entry {same} of "
            f"{hotlist.name}; change that entry instead",
            field="plate",
        )
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
        details={
            "hotlist": hotlist.name,
            "plate": clean,
            "state": state,
            "owner": owner,
            "reason": reason,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return entry


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


def _row(e: ParsedEntry, hotlist_id: int, added_by: str | None, now: datetime) -> dict[str, Any]:
    values = _values(e, hotlist_id, added_by, now, _same, _same)
    return dict(zip(INSERT_COLUMNS, values, strict=True))
