"""Scratch PostgreSQL databases for tests: one definition of making and dropping them.

Dropping is retried for a while: ``DROP DATABASE`` asks the server for a checkpoint, and a
checkpoint fails (``checkpoint request failed``) while another test holds the server in a
state it cannot write through, such as a disk-full test whose tablespace is on a full tmpfs.
That is transient for everyone else, so a teardown waits it out instead of failing a test that
passed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

DROP_PATIENCE_S = 60.0


def drop_database(admin: Engine, name: str, *, patience_s: float = DROP_PATIENCE_S) -> None:
    """Drop ``name`` (closing its sessions), retrying transient server refusals."""
    deadline = time.monotonic() + patience_s
    delay = 0.2
    while True:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 3.0)


@contextmanager
def scratch_database(
    admin_url: str, *, prefix: str = "rtcc_t", tablespace: str | None = None
) -> Iterator[str]:
    """A new, empty database on the server of ``admin_url`` (optionally in ``tablespace``); its
    URL. Dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            where = f" TABLESPACE {tablespace}" if tablespace else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{where}'))
        try:
            yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
        finally:
            drop_database(admin, name)
    finally:
        admin.dispose()
