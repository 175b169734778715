"""Ingest from the bus: worker messages of every node into the database, each exactly once.

Consumers (one or more, on any host) share the durable pull consumer ``ingest``. Nodes send
envelopes (``rtcc.runtime.wire.pack``: many worker messages, each with its own id); a single
message of its own is understood too. Each fetch (about ``bus.ingest_batch`` worker messages)
is one transaction (``rtcc.runtime.read_batch``): insert the reads' message ids into
``ingested_message`` (ids already there, stored by this consumer or another: redeliveries, or an
envelope sent again with other company, skipped), store the reads, match them and record their
hits; commit, publish the events, then acknowledge the bus messages. A consumer killed before
the commit leaves nothing and the messages are redelivered; killed after the commit but before
the acks, the redelivered copies find their ids and are skipped. When a batch fails (a bad
message) it is retried one message at a time; an unreadable message is dropped alone.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from rtcc.runtime.forwarder import ENVELOPE_HEADER, NODE_HEADER
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.read_batch import store_batch
from rtcc.runtime.services import Services
from rtcc.runtime.wire import WireError, unpack, unpack_envelope

log = logging.getLogger(__name__)
DURABLE = "ingest"
PURGE_EVERY_S = 600.0
FETCH_ROUNDS = 4  # fetches after the first, to gather about a batch of worker messages
FETCH_MAX = 16  # bus messages asked for by one of them


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
        """Wait (up to 1 s) for a message, then take at once what else waits, up to about
        ``ingest_batch`` worker messages (an envelope holds many: ``ENVELOPE_HEADER``).
        (One fetch of a whole batch would hold its first message until the batch filled or
        the wait ran out: a second of latency for a hit on a quiet system.)"""
        batch = list(await self._psub.fetch(1, timeout=1.0))
        want, got = self.settings.ingest_batch, _count(batch[0])
        # Nothing more (a timeout), or the hub went away: store what is in hand first.
        with contextlib.suppress(Exception):
            for _ in range(FETCH_ROUNDS):
                if got >= want:
                    break
                # At the envelopes' size so far; a few at a time (one may hold hundreds).
                ask = min(FETCH_MAX, -(-(want - got) * len(batch) // got))
                more = await self._psub.fetch(ask, timeout=0.05)
                batch += more
                got += sum(_count(m) for m in more)
                if len(more) < ask:
                    break  # all that waits
        return batch

    def _process(self, batch: list[Any]) -> None:
        """Store what ``batch`` holds: its reads in one transaction (retried one by one when
        it fails), other messages one at a time; then settle each bus message: acknowledged,
        terminated (unreadable) or left for redelivery (a message in it failed)."""
        deliveries, items = self._unpack(batch)
        reads: list[tuple[_Item, ReadMessage]] = []
        media: dict[str, bytes] = {}
        for item in items:
            if self._stop.is_set():
                return  # unacknowledged messages are redelivered to someone else
            try:
                worker_msg, photos = unpack(item.data)
            except WireError as exc:
                self._reject(item, exc)
                continue
            if isinstance(worker_msg, ReadMessage):
                reads.append((item, worker_msg))
                media.update(photos)
            else:
                self._one(item)  # status and segments: small, idempotent, one at a time
        if reads and not self._stop.is_set() and not self._store(reads, media):
            for item, _ in reads:
                self._one(item)
        if self._stop.is_set():
            return
        try:
            self.conn.run(_settle(deliveries), timeout=15.0)
        except Exception:  # noqa: BLE001 - stored: the redelivered copies are skipped by id
            log.warning("ingest: settling %d messages failed", len(deliveries), exc_info=True)

    def _unpack(self, batch: list[Any]) -> tuple[list[_Delivery], list[_Item]]:
        """The bus messages of ``batch`` and the worker messages they hold, in order."""
        deliveries, items = [], []
        for msg in batch:
            headers = msg.headers or {}
            delivery = _Delivery(msg, headers.get(NODE_HEADER))
            deliveries.append(delivery)
            whole = _Item(_message_id(msg), msg.data, delivery, alone=True)
            if ENVELOPE_HEADER not in headers:
                items.append(whole)
                continue
            try:
                inside = unpack_envelope(msg.data)
            except WireError as exc:
                self._reject(whole, exc)
                continue
            items += [_Item(mid, data, delivery) for mid, data in inside]
        return deliveries, items

    def _store(self, reads: list[tuple[_Item, ReadMessage]], media: dict[str, bytes]) -> bool:
        """The reads (and their photos) in one transaction; False when that failed."""
        try:
            self.photos += self.shared.keep(
                self.s.settings.data_dir, media, [read for _, read in reads]
            )
            return self.store_reads([(item.message_id, read) for item, read in reads])
        except Exception:  # noqa: BLE001 - find the message at fault one by one
            log.warning(
                "ingest: a batch of %d failed; retrying one by one", len(reads), exc_info=True
            )
            return False

    def _reject(self, item: _Item, exc: WireError) -> None:
        """Drop an unreadable message: terminated when it is a bus message of its own; in an
        envelope, left out alone (the envelope is acknowledged once the rest is stored)."""
        self.rejected += 1
        log.error("ingest: dropping message %s: %s", item.message_id, exc.message)
        if item.alone:
            item.delivery.outcome = _TERM

    def _one(self, item: _Item) -> None:
        try:
            self.handle(item.data, item.message_id, node=item.delivery.node)
        except WireError as exc:
            self._reject(item, exc)
        except Exception:  # noqa: BLE001 - not acknowledged: redelivered after ack_wait
            log.exception("ingest: message %s failed; it will be redelivered", item.message_id)
            if item.delivery.outcome == _ACK:
                item.delivery.outcome = _RETRY

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
        """Store ``(message id, read)`` pairs, each exactly once (ids stored before, by anyone,
        are skipped), then publish their events. The reads are matched first: those that hit
        are committed, and their hits published, in a small transaction of their own before
        the rest (a hit never waits for a batch of plain reads to be stored). Raises on failure
        (what is not committed is retried one by one by the caller; the committed is skipped
        by id); True otherwise."""
        now = self.s.clock.now()
        matched = {id(m): self.s.matcher.match_read(m.record, now=now) for _, m in reads}
        hot = [(mid, m) for mid, m in reads if matched[id(m)]]
        if hot and len(hot) < len(reads):
            self._commit(hot, now, matched)
            reads = [(mid, m) for mid, m in reads if not matched[id(m)]]
        self._commit(reads, now, matched)
        return True

    def _commit(
        self, reads: list[tuple[str, ReadMessage]], now: datetime, matched: dict[int, Any]
    ) -> None:
        with transaction(self.s.sessions) as session:
            got = store_batch(session, self.s, reads, now=now, matched=matched)
        self.duplicates += len(reads) - len(got.fresh)
        self.stored += len(got.fresh)
        self.bulk_stored += got.bulk
        self.hits += sum(1 for e in got.events if isinstance(e, NewHitEvent))
        if got.fresh:
            last_seen = max(msg.record.last_seen for msg in got.fresh)
            self.lag_s = max(0.0, (now - last_seen).total_seconds())
        for event in got.events:
            self.s.bus.publish(event)

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


def _count(msg: Any) -> int:
    """How many worker messages a bus message holds (an envelope says; else one)."""
    try:
        return max(1, int((msg.headers or {}).get(ENVELOPE_HEADER, 1)))
    except (TypeError, ValueError):
        return 1


@dataclass
class _Delivery:
    """A bus message as fetched, and what becomes of it once its contents were handled."""

    msg: Any
    node: str | None  # the node that sent it (``NODE_HEADER``)
    outcome: str = "ack"  # _ACK, _TERM (unreadable) or _RETRY (left for redelivery)


@dataclass
class _Item:
    """One worker message: a bus message of its own (``alone``) or one in an envelope."""

    message_id: str
    data: bytes
    delivery: _Delivery
    alone: bool = False


_ACK, _TERM, _RETRY = "ack", "term", "retry"


async def _settle(deliveries: list[_Delivery]) -> None:
    for d in deliveries:
        if d.outcome == _ACK:
            await d.msg.ack()
        elif d.outcome == _TERM:
            await d.msg.term()


def start_bus_consumer(services: Services) -> IngestConsumer | None:
    """With a NATS bus: an ingest consumer on the bus's connection (None in process)."""
    from rtcc.bus.natsbus import NatsBus

    if not isinstance(services.bus, NatsBus):
        return None
    return IngestConsumer(services, services.bus.conn).start()
