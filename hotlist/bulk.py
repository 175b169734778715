"""Bulk writes of hotlist entries: one row builder shared by inserts and updates, and an insert
that uses COPY on PostgreSQL and a driver-level executemany elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotlist.formats import ParsedEntry
from rtcc.models import HotlistEntry

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


def entry_row(
    e: ParsedEntry, hotlist_id: int, added_by: str | None, now: datetime
) -> dict[str, Any]:
    """One entry as a column dict (for updates by id)."""
    values = _values(e, hotlist_id, added_by, now, _same, _same)
    return dict(zip(INSERT_COLUMNS, values, strict=True))
