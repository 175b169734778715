"""The node's outbox: messages wait in a small SQLite file until the hub has acknowledged them.

A trailer on a bad link keeps recording reads; they are forwarded in order when the link
returns. ``put`` ignores an id already waiting, ``ack`` removes it. The file survives restarts
and ``kill -9`` (SQLite WAL, synchronous=FULL: a put that returned is on disk).

Group commit: a put returns only once its row is synced, but puts made at the same time share
one transaction and one sync. A caller that finds nobody writing writes everything queued so
far, after lingering 2 ms for company; the puts arriving during that sync queue up and are
written together by the first of them. A lone put costs one sync and 2 ms, a busy node (a relay
thread per camera) syncs once per batch, not once per read.

Acknowledgements are synced lazily (synchronous=NORMAL for that transaction): one lost to a
power cut only makes the forwarder send a message again, which the stream's duplicate window
and the ingest inbox drop.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rtcc.errors import RtccError


@dataclass(frozen=True)
class Pending:
    seq: int
    message_id: str
    subject: str
    payload: bytes


class OutboxWriteError(RtccError):
    """The outbox could not store a message (disk full, file gone): it was not accepted."""

    status_code = 503
    code = "outbox_write_failed"


@dataclass
class _Ticket:
    rows: list[tuple[str, str, bytes]]
    wake: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    error: BaseException | None = field(default=None, repr=False)


def waiting_in(path: Path) -> int:
    """How many messages wait in the outbox file at ``path`` (0 when there is none), read
    without creating or locking it: another process (retention) may ask while one writes."""
    if not path.is_file():
        return 0
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    try:
        row = db.execute("SELECT count(*) FROM outbox").fetchone()
    except sqlite3.OperationalError:  # created but no table yet
        return 0
    finally:
        db.close()
    return int(row[0])


class Outbox:
    def __init__(self, path: Path, *, linger_s: float = 0.002) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.linger_s = linger_s  # a writer waits this long for more puts before its sync
        self.syncs = 0  # transactions that stored puts (each one sync to disk)
        self._lock = threading.Lock()  # the connection
        self._queue = threading.Lock()  # the waiting puts and who writes them
        self._waiting: list[_Ticket] = []
        self._writing = False
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " message_id TEXT NOT NULL UNIQUE, subject TEXT NOT NULL, payload BLOB NOT NULL)"
        )

    def put(self, message_id: str, subject: str, payload: bytes) -> None:
        """Store one message; returns once it is on disk (shares the sync with other puts)."""
        self.put_many([(message_id, subject, payload)])

    def put_many(self, rows: Iterable[tuple[str, str, bytes]]) -> None:
        """Store ``(message id, subject, payload)`` rows; returns once they are on disk.
        Raises :class:`OutboxWriteError` when they could not be stored."""
        ticket = _Ticket(list(rows))
        if not ticket.rows:
            return
        with self._queue:
            self._waiting.append(ticket)
            lead = not self._writing
            self._writing = True
        if not lead:
            ticket.wake.wait()  # written by another caller, or asked to write next
        if not ticket.done:
            self._write_waiting()
        if not ticket.done or ticket.error is not None:
            raise OutboxWriteError(f"outbox: not stored: {ticket.error}") from ticket.error

    def _write_waiting(self) -> None:
        """Write every waiting put in one transaction, wake their callers, then hand the
        writing over to the first caller that queued meanwhile (only it is woken)."""
        error: BaseException | None = None
        try:
            if self.linger_s > 0:
                time.sleep(self.linger_s)  # the puts of the same moment join this sync
        except BaseException as exc:  # noqa: BLE001 - interrupted: the batch fails, nobody hangs
            error = exc
        with self._queue:
            batch, self._waiting = self._waiting, []
        if error is None:
            try:
                self._write([row for t in batch for row in t.rows])
            except BaseException as exc:  # noqa: BLE001 - handed to every caller of the batch
                error = exc
        for t in batch:
            t.done, t.error = True, error
            t.wake.set()
        with self._queue:
            if self._waiting:
                self._waiting[0].wake.set()
            else:
                self._writing = False

    def _write(self, rows: list[tuple[str, str, bytes]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (message_id, subject, payload) VALUES (?, ?, ?)",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self.syncs += 1

    def pending(self, limit: int = 100, *, max_bytes: int | None = None) -> list[Pending]:
        """The oldest waiting messages, in order: at most ``limit``, and (``max_bytes``) no more
        payload bytes than that together, but always the first one (reads carry photos)."""
        with self._lock:
            if max_bytes is not None:
                sizes = self._db.execute(
                    "SELECT length(payload) FROM outbox ORDER BY seq LIMIT ?", (limit,)
                ).fetchall()
                total, count = 0, 0
                for (size,) in sizes:
                    total += int(size)
                    if count and total > max_bytes:
                        break
                    count += 1
                limit = count
            rows = self._db.execute(
                "SELECT seq, message_id, subject, payload FROM outbox ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Pending(int(r[0]), str(r[1]), str(r[2]), bytes(r[3])) for r in rows]

    def ack(self, message_id: str) -> None:
        self.ack_many([message_id])

    def ack_many(self, message_ids: list[str]) -> None:
        """Forget several forwarded messages in one transaction (synced lazily, see above)."""
        self._delete("DELETE FROM outbox WHERE message_id = ?", [(m,) for m in message_ids])

    def forget(self, seqs: list[int]) -> None:
        """``ack_many`` by the ``seq`` of :class:`Pending` rows (the row itself, no index)."""
        self._delete("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    def _delete(self, sql: str, params: list[tuple[object]]) -> None:
        if not params:
            return
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(sql, params)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            finally:
                self._db.execute("PRAGMA synchronous=FULL")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"Outbox({str(self.path)!r})"
