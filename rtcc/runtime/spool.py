"""The single host's durable ingest spool: worker messages wait on local disk for the database.

Camera workers' reads and video segments go into ``<data_dir>/spool/ingest.sqlite`` (the
node's :class:`~rtcc.bus.outbox.Outbox`: WAL, synchronous=FULL, a put that returned survives
``kill -9``) before anything touches the database, keyed by the same stable message id and
encoded the same way as on the bus (``rtcc.runtime.wire``). :class:`SpoolWriter` stores them
in order, each in its own transaction with its hotlist matching, and forgets each only after
its commit. While the database cannot be reached it keeps them, retries with backoff and tells
operators (``SystemAlertEvent(kind="database_unreachable")``), and the spool keeps filling.
A message replayed after a crash between commit and forget is stored again idempotently (a
read is an upsert by camera and track; its hit is found again by read, never duplicated).

A message the database refuses for what it contains (an integrity or data error, or bytes that
do not decode) is logged and forgotten: one poison message must not block the queue.
Camera status messages are not spooled: the latest one per camera waits in memory.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from cameras.backoff import Backoff
from cameras.messages import StatusMessage, WorkerMessage
from rtcc import datadir
from rtcc.bus.outbox import Outbox, Pending
from rtcc.clock import Clock
from rtcc.events import EventBus, SystemAlertEvent
from rtcc.runtime.wire import WireError, decode, encode, kind_of, message_id
from rtcc.vocab import AlertSeverity, SystemAlertKind

log = logging.getLogger(__name__)
SPOOL_FILE = datadir.INGEST_SPOOL


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be used now (retry later), as opposed to a
    refusal of the message itself (integrity, data or programming errors: give it up)."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class DatabaseUnavailable(Exception):
    """The database could not store a message; it stays spooled."""


class IngestSpool:
    """Worker messages on local disk, in arrival order, until stored."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=datadir.DIR_MODE)
        os.chmod(path.parent, datadir.DIR_MODE)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, datadir.FILE_MODE))  # private from birth
        self.path = path
        self._box = Outbox(path)
        datadir.private_database(f"sqlite:///{path}")  # 0600, with its WAL files

    @classmethod
    def open(cls, data_dir: Path) -> IngestSpool:
        return cls(data_dir / SPOOL_FILE)

    def put_many(self, msgs: list[WorkerMessage]) -> None:
        """Keep ``msgs`` (on disk when this returns); an id already waiting is ignored."""
        self._box.put_many([(message_id(m), kind_of(m), encode(m)) for m in msgs])

    def pending(self, limit: int) -> list[Pending]:
        return self._box.pending(limit)

    def ack_many(self, message_ids: list[str]) -> None:
        self._box.ack_many(message_ids)

    def __len__(self) -> int:
        return len(self._box)

    def close(self) -> None:
        self._box.close()

    def __repr__(self) -> str:
        return f"IngestSpool({str(self.path)!r})"


@dataclass
class Outage:
    since: datetime
    announced_at: float  # clock.monotonic() of the last alert


class SpoolWriter:
    """Stores the spool into the database through ``handle`` (``Ingestor.handle``), in order.

    Started, it first stores whatever an earlier run left in the spool. ``notify`` wakes it
    when new messages were spooled; ``offer_status`` hands it a camera's latest status.
    """

    def __init__(
        self,
        handle: Callable[[Any], None],
        spool: IngestSpool,
        *,
        bus: EventBus,
        clock: Clock,
        backoff: Backoff | None = None,
        alert_every_s: float = 10.0,
        batch: int = 100,
    ) -> None:
        self._handle = handle
        self.spool = spool
        self.bus = bus
        self.clock = clock
        self.backoff = backoff or Backoff(base_s=0.5, cap_s=10.0)
        self.alert_every_s = alert_every_s
        self.batch = batch
        self.handled = 0  # messages stored (reads, segments and statuses)
        self.rejected = 0  # poison messages logged and forgotten
        self.outage: Outage | None = None
        self._statuses: dict[str, StatusMessage] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-spool", daemon=True)

    def start(self) -> SpoolWriter:
        self._thread.start()
        return self

    def notify(self) -> None:
        self._wake.set()

    def offer_status(self, msg: StatusMessage) -> None:
        """Store ``msg`` soon; a newer status of the camera replaces it while it waits."""
        with self._lock:
            self._statuses[msg.camera_id] = msg
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                worked = self.drain()
            except DatabaseUnavailable as exc:
                self._unavailable(exc)
                self._stop.wait(self.backoff.next())
                continue
            except Exception:  # noqa: BLE001 - the spool itself failed: keep trying
                log.exception("ingest spool: reading the spool failed")
                self._stop.wait(self.backoff.next())
                continue
            self.backoff.reset()
            if self.outage is not None:
                self._recovered()
            if not worked:
                self._wake.wait(0.5)

    def drain(self) -> bool:
        """Store one batch of spooled messages, then the waiting statuses; whether there was
        anything. Raises :class:`DatabaseUnavailable` (what is left stays spooled)."""
        pending = self.spool.pending(self.batch)
        done: list[str] = []
        try:
            for item in pending:
                if self._stop.is_set():
                    break
                self._store(item)
                done.append(item.message_id)
        finally:
            self.spool.ack_many(done)  # after their commits: a crash before this replays them
        with self._lock:
            statuses, self._statuses = self._statuses, {}
        for i, status in enumerate(statuses.values()):
            try:
                self._call(status, f"status of {status.camera_id}")
            except DatabaseUnavailable:
                with self._lock:  # keep what did not get through, unless newer came meanwhile
                    for later in list(statuses.values())[i:]:
                        self._statuses.setdefault(later.camera_id, later)
                raise
        return bool(pending or statuses)

    def _store(self, item: Pending) -> None:
        try:
            msg = decode(item.payload)
        except WireError as exc:
            self.rejected += 1
            log.error("ingest spool: dropping message %s: %s", item.message_id, exc.message)
            return
        self._call(msg, item.message_id)

    def _call(self, msg: Any, what: str) -> None:
        try:
            self._handle(msg)
        except Exception as exc:  # noqa: BLE001 - sorted below
            cause = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            if database_unavailable(exc):
                raise DatabaseUnavailable(cause) from exc
            self.rejected += 1  # the details (plate text among them) only at DEBUG
            log.error(
                "ingest spool: the database refused message %s (%s: %s); dropped",
                what,
                type(exc).__name__,
                cause,
            )
            log.debug("ingest spool: message %s refused", what, exc_info=True)
            return
        self.handled += 1

    def _unavailable(self, exc: DatabaseUnavailable) -> None:
        now = self.clock.monotonic()
        if self.outage is None:
            log.error(
                "database unreachable (%s): worker messages are kept in %s", exc, self.spool.path
            )
            self.outage = Outage(since=self.clock.now(), announced_at=now)
        elif now - self.outage.announced_at < self.alert_every_s:
            return
        self.outage.announced_at = now
        self._announce(
            True,
            since=self.outage.since,
            queued=len(self.spool),
            message="The database cannot be reached. Reads are kept on this server and will "
            "be stored and matched against the hotlists when it returns: hits are delayed.",
        )

    def _recovered(self) -> None:
        assert self.outage is not None
        now = self.clock.now()
        log.warning(
            "database reachable again after %.0f s", (now - self.outage.since).total_seconds()
        )
        self.outage = None
        queued = len(self.spool)
        self._announce(
            False,
            since=now,
            queued=queued,
            message=f"The database is reachable again; {queued} queued message(s) "
            "are being stored.",
        )

    def _announce(self, active: bool, *, since: datetime, queued: int, message: str) -> None:
        event = SystemAlertEvent(
            kind=SystemAlertKind.DATABASE_UNREACHABLE,
            severity=AlertSeverity.CRITICAL,
            active=active,
            message=message,
            since=since,
            queued=queued,
        )
        try:
            self.bus.publish(event)
        except Exception:  # noqa: BLE001 - the alert is also in the log
            log.exception("ingest spool: publishing the database alert failed")

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop after the message being stored; whether the thread has ended."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()
