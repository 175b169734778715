"""Which failures mean "the disk is full" (``rtcc.storage.is_disk_full``): real errors only.
The full-disk errors themselves are produced on a real full file system in
``tests/web/test_errors.py`` (SQLite and PostgreSQL) and ``tests/web/routes/test_health.py``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from rtcc.storage import is_disk_full
from tests.support import tinyfs


def test_a_full_file_system_is_disk_full() -> None:
    with tinyfs.tmpfs(1) as mount:
        tinyfs.fill(mount)
        with pytest.raises(OSError) as caught, (mount / "more").open("wb", buffering=0) as f:
            f.write(b"x" * 8192)
    assert is_disk_full(caught.value)


def test_a_locked_database_is_not_disk_full(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = create_engine(url, connect_args={"timeout": 0})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(tmp_path / "x.db")
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert "locked" in str(caught.value) and not is_disk_full(caught.value)


def test_a_read_only_file_system_is_not_disk_full(tmp_path: Path) -> None:
    with tinyfs.read_only(tmp_path), pytest.raises(OSError) as caught:
        (tmp_path / "x").write_bytes(b"x")
    assert not is_disk_full(caught.value)
