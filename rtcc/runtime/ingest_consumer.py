"""Ingest from the bus: worker messages of every node into the database, each exactly once.

Consumers (one or more, on any host) share the durable pull consumer ``ingest``. Each fetch
(up to ``bus.ingest_batch`` messages) is one transaction (``rtcc.runtime.read_batch``): insert
the reads' message ids into ``ingested_message`` (ids already there, stored by this consumer or
another: redeliveries, skipped), store the reads, match them and record their hits; commit,
publish the events, then acknowledge them all. A consumer killed before the commit leaves
nothing and the messages are redelivered; killed after the commit but before the acks, the
redelivered copies find their ids and are skipped. When a batch fails (a bad message) it is
retried one message at a time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import delete, select

from cameras.messages import ReadMessage, StatusMessage
from rtcc.bus.connection import NatsConnection
from rtcc.bus.streams import ensure_ingest_stream, ingest_stream
from rtcc.db import transaction
from rtcc.events import NewHitEvent
from rtcc.models import Camera, IngestedMessage
from rtcc.runtime import media_relay
from rtcc.runtime.forwarder import NODE_HEADER
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.read_batch import store_batch
from rtcc.runtime.services import Services
from rtcc.runtime.wire import WireError, unpack

log = logging.getLogger(__name__)
DURABLE = "ingest"
PURGE_EVERY_S = 600.0


class IngestConsumer:
    def __init__(self, services: Services, conn: NatsConnection) -> None:
        self.s = services
        self.conn = conn
        self.settings = conn.settings
        self.ingestor = Ingestor(services)
        self.stored = 0
        self.duplicates = 0
        self.rejected = 0
        self.hits = 0
        self.bulk_stored = 0  # of ``stored``, by a batch's multi-row insert
        self.photos = 0  # read photos written here, sent by the node that took them
        # ... and put in the media bucket for the other API instances (media_relay)
        self.shared = media_relay.SharedMedia(
            conn, retention=services.settings.retention, clock=services.clock
        )
        self.lag_s = 0.0  # store time minus the last stored read's last sighting
        self._psub: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-consumer", daemon=True)

    def start(self) -> IngestConsumer:
        self.conn.run(self._setup())
        self.conn.run(self.shared.bucket())  # its TTL follows the retention policy at once
        self._thread.start()
        return self

    async def _setup(self) -> None:
        js = self.conn.jetstream()
        await ensure_ingest_stream(js, self.settings)
        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.ingest_ack_wait_s,
            max_ack_pending=self.settings.ingest_batch * 10,
        )
        self._psub = await js.pull_subscribe(
            f"{self.settings.subject_prefix}.ingest.>",
            durable=DURABLE,
            stream=ingest_stream(self.settings),
            config=config,
        )

    def _run(self) -> None:
        purged_at = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - purged_at > PURGE_EVERY_S:
                purged_at = time.monotonic()
                try:
                    self.purge_inbox()
                except Exception:  # noqa: BLE001 - retried at the next round
                    log.exception("ingest: purging old message ids failed")
            try:
                batch = self.conn.run(self._fetch(), timeout=15.0)
            except (NatsTimeout, TimeoutError):
                continue  # nothing waiting
            except Exception as exc:  # noqa: BLE001 - hub away: messages wait in the stream
                log.debug("ingest consumer: fetch failed: %r", exc)
                self._stop.wait(1.0)
                continue
            self._process(batch)

    async def _fetch(self) -> list[Any]:
        """Wait (up to 1 s) for a message, then take at once what else waits, up to a batch.
        (One fetch of a whole batch would hold its first message until the batch filled or
        the wait ran out: a second of latency for a hit on a quiet system.)"""
        batch = list(await self._psub.fetch(1, timeout=1.0))
        if self.settings.ingest_batch > 1:
            # Nothing more (a timeout), or the hub went away: store the one in hand first.
            with contextlib.suppress(Exception):
                batch += await self._psub.fetch(self.settings.ingest_batch - 1, timeout=0.05)
        return batch

    def _process(self, batch: list[Any]) -> None:
        reads: list[tuple[str, ReadMessage, Any]] = []
        media: dict[str, bytes] = {}
        for msg in batch:
            if self._stop.is_set():
                return  # unacknowledged messages are redelivered to someone else
            message_id = _message_id(msg)
            try:
                worker_msg, photos = unpack(msg.data)
            except WireError as exc:
                self._reject(msg, message_id, exc)
                continue
            if isinstance(worker_msg, ReadMessage):
                reads.append((message_id, worker_msg, msg))
                media.update(photos)
            else:
                self._one(msg)  # status and segments: small, idempotent, one at a time
        if not reads or self._stop.is_set():
            return
        try:
            self.photos += self.shared.keep(
                self.s.settings.data_dir, media, [read for _, read, _ in reads]
            )
            done = self.store_reads([(mid, read) for mid, read, _ in reads])
        except Exception:  # noqa: BLE001 - find the message at fault one by one
            log.warning(
                "ingest: a batch of %d failed; retrying one by one", len(reads), exc_info=True
            )
            done = False
        if not done:
            for *_, msg in reads:
                self._one(msg)
            return
        try:
            self.conn.run(_ack_all([msg for *_, msg in reads]), timeout=15.0)
        except Exception:  # noqa: BLE001 - stored: the redelivered copies are skipped by id
            log.warning("ingest: acknowledging %d stored reads failed", len(reads), exc_info=True)

    def _reject(self, msg: Any, message_id: str, exc: WireError) -> None:
        self.rejected += 1
        log.error("ingest: dropping message %s: %s", message_id, exc.message)
        self.conn.run(msg.term())

    def _one(self, msg: Any) -> None:
        headers = msg.headers or {}
        message_id = _message_id(msg)
        try:
            self.handle(msg.data, message_id, node=headers.get(NODE_HEADER))
        except WireError as exc:
            self._reject(msg, message_id, exc)
            return
        except Exception:  # noqa: BLE001 - not acknowledged: redelivered after ack_wait
            log.exception("ingest: message %s failed; it will be redelivered", message_id)
            return
        self.conn.run(msg.ack())

    def handle(self, data: bytes, message_id: str, *, node: str | None = None) -> None:
        """Store one message exactly once (raises on failure: the caller does not acknowledge)."""
        worker_msg, photos = unpack(data)
        if isinstance(worker_msg, StatusMessage):
            self.ingestor.handle(worker_msg)
            if node is not None:
                self._set_node(worker_msg.camera_id, node)
            return
        if not isinstance(worker_msg, ReadMessage):
            self.ingestor.handle(worker_msg)  # segments are idempotent already
            return
        self.photos += self.shared.keep(self.s.settings.data_dir, photos, [worker_msg])
        self.store_reads([(message_id, worker_msg)])

    def store_reads(self, reads: list[tuple[str, ReadMessage]]) -> bool:
        """Store ``(message id, read)`` pairs in one transaction, each exactly once (ids stored
        before, by anyone, are skipped), then publish their events. Raises on failure (nothing
        stored: the caller retries one by one); True otherwise."""
        now = self.s.clock.now()
        with transaction(self.s.sessions) as session:
            got = store_batch(session, self.s, reads, now=now)
        self.duplicates += len(reads) - len(got.fresh)
        self.stored += len(got.fresh)
        self.bulk_stored += got.bulk
        self.hits += sum(1 for e in got.events if isinstance(e, NewHitEvent))
        if got.fresh:
            last_seen = max(msg.record.last_seen for msg in got.fresh)
            self.lag_s = max(0.0, (now - last_seen).total_seconds())
        for event in got.events:
            self.s.bus.publish(event)
        return True

    def purge_inbox(self, *, batch: int = 10_000) -> int:
        """Forget ids older than the stream keeps messages (nothing older can be redelivered);
        returns how many were deleted. Called by the consumer's loop about every 10 minutes."""
        cutoff = self.s.clock.now() - timedelta(seconds=self.settings.reads_max_age_s * 1.1)
        deleted = 0
        while True:
            with transaction(self.s.sessions) as session:
                ids = list(
                    session.scalars(
                        select(IngestedMessage.message_id)
                        .where(IngestedMessage.at < cutoff)
                        .limit(batch)
                    )
                )
                if ids:
                    session.execute(
                        delete(IngestedMessage).where(IngestedMessage.message_id.in_(ids))
                    )
            deleted += len(ids)
            if len(ids) < batch:
                return deleted

    def _set_node(self, camera_id: str, node: str) -> None:
        with transaction(self.s.sessions) as session:
            cam = session.get(Camera, camera_id)
            if cam is not None and cam.node != node:
                cam.node = node

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(20.0)
        self.shared.flush(10.0)  # photos still being put in the media bucket


def _message_id(msg: Any) -> str:
    headers = msg.headers or {}
    return str(headers.get("Nats-Msg-Id") or f"seq.{msg.metadata.sequence.stream}")


async def _ack_all(msgs: list[Any]) -> None:
    for msg in msgs:
        await msg.ack()


def start_bus_consumer(services: Services) -> IngestConsumer | None:
    """With a NATS bus: an ingest consumer on the bus's connection (None in process)."""
    from rtcc.bus.natsbus import NatsBus

    if not isinstance(services.bus, NatsBus):
        return None
    return IngestConsumer(services, services.bus.conn).start()
