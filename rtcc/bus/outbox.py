"""The node's outbox: messages wait in a small SQLite file until the hub has acknowledged them.

A trailer on a bad link keeps recording reads; they are forwarded in order when the link
returns. ``put`` ignores an id already waiting, ``ack`` removes it. The file survives restarts
and ``kill -9`` (SQLite WAL, synchronous=FULL: a put that returned is on disk).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pending:
    seq: int
    message_id: str
    subject: str
    payload: bytes


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " message_id TEXT NOT NULL UNIQUE, subject TEXT NOT NULL, payload BLOB NOT NULL)"
        )

    def put(self, message_id: str, subject: str, payload: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (message_id, subject, payload) VALUES (?, ?, ?)",
                (message_id, subject, payload),
            )

    def pending(self, limit: int = 100) -> list[Pending]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, message_id, subject, payload FROM outbox ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Pending(int(r[0]), str(r[1]), str(r[2]), bytes(r[3])) for r in rows]

    def ack(self, message_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE message_id = ?", (message_id,))

    def ack_many(self, message_ids: list[str]) -> None:
        """Forget several forwarded messages in one transaction (one sync to disk)."""
        if not message_ids:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "DELETE FROM outbox WHERE message_id = ?", [(m,) for m in message_ids]
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"Outbox({str(self.path)!r})"
