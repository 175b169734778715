"""A real database outage a test can start and end, on PostgreSQL and on SQLite.

PostgreSQL: the services reach the real server through a :class:`~tests.support.tcpproxy.TcpProxy`;
the outage closes every connection and refuses new ones (as a stopped server does).
SQLite: another connection holds the write lock (``BEGIN EXCLUSIVE``, as a backup tool or a
stuck process would) for longer than the busy timeout, so every write fails with "database is
locked". The timeout is shortened for the test (production waits 30 s before that error).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import make_url

from rtcc.clock import Clock
from rtcc.config import Settings
from rtcc.runtime.services import Services, build_services
from tests.support.tcpproxy import TcpProxy


class Outage(Protocol):
    def cut(self) -> None: ...

    def restore(self) -> None: ...


class SqliteWriteLock:
    """Another connection holding ``BEGIN EXCLUSIVE`` on the database file while cut."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def cut(self) -> None:
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self._conn.execute("BEGIN EXCLUSIVE")

    def restore(self) -> None:
        if self._conn is not None:
            self._conn.execute("COMMIT")
            self._conn.close()
            self._conn = None


@contextmanager
def services_with_outage(
    db_url: str, settings: Callable[..., Settings], clock: Clock, *, busy_timeout_ms: int = 200
) -> Iterator[tuple[Services, Outage]]:
    """Migrated services on ``db_url`` and the outage that takes their database away."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        svc = build_services(settings(database={"url": db_url}), clock=clock)

        def short_wait(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")

        event.listen(svc.engine, "connect", short_wait)  # after make_engine's own pragmas
        svc.engine.dispose()  # connections opened before now had the long timeout
        assert url.database
        try:
            yield svc, SqliteWriteLock(url.database)
        finally:
            svc.engine.dispose()
        return
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        svc = build_services(
            settings(database={"url": proxied.render_as_string(hide_password=False)}),
            clock=clock,
        )
        try:
            yield svc, proxy
        finally:
            svc.engine.dispose()
