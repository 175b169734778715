"""Engine, sessions and migrations. Nothing is opened at import time."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import DateTime, Engine, Table, create_engine, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from rtcc.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several types here
        raise ConfigError(f"database.url: not a database URL: {exc}") from None
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_size"] = pool_size
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A short unit of work: commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (run before the server starts)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def insert_ignore(
    session: Session, table: Any, rows: list[dict[str, Any]], returning: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` ``rows`` (dicts of the same columns) in
    one statement: the inserted rows' ``returning`` columns (in no promised order: return a
    key to match them by)."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _pg_insert_ignore(session, table, rows, returning)
    stmt = sqlite.insert(table).on_conflict_do_nothing()
    result = session.execute(stmt.returning(*(table.c[c] for c in returning)), rows)
    return [tuple(r) for r in result]


def _pg_insert_ignore(
    session: Session, table: Table, rows: list[dict[str, Any]], returning: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """One statement for the whole batch: the rows travel as one JSON array, made into rows of
    the table by PostgreSQL (``json_populate_recordset``). A fixed text, prepared once, one
    parameter encoded in C: nothing built, parsed or converted per row on this side. Rows are
    inserted in list order (so callers that sort them keep one lock order)."""
    quote = session.get_bind().dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in rows[0])
    name = quote(table.name)
    sql = (
        f"INSERT INTO {name} ({names}) SELECT {names} FROM json_populate_recordset("
        f"NULL::{name}, %s::json) ON CONFLICT DO NOTHING RETURNING"
        f" {', '.join(quote(c) for c in returning)}"
    )
    _aware_times(table, rows)
    data = orjson.dumps(rows, default=_json_value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, (data,))
        return [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


def _aware_times(table: Table, rows: list[dict[str, Any]]) -> None:
    """Every stored time is UTC (``UTCDateTime``): a naive one in a row is refused here, before
    the JSON encoder writes it without an offset (which PostgreSQL would read as local time)."""
    for column in _time_columns(table, tuple(rows[0])):
        for row in rows:
            value = row.get(column)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{table.name}.{column}: naive datetime {value!r}")


@functools.lru_cache(maxsize=64)
def _time_columns(table: Table, names: tuple[str, ...]) -> list[str]:
    def is_time(n: str) -> bool:
        kind = table.c[n].type
        return isinstance(getattr(kind, "impl", kind), DateTime)

    return [n for n in names if n in table.c and is_time(n)]


def _json_value(value: Any) -> Any:
    for plain in (bool, int, float, str):  # subclasses (numpy scalars among them)
        if isinstance(value, plain):
            return plain(value)
    raise TypeError(f"{type(value).__name__} is not a column value")
