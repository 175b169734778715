"""``NatsBus``: the ``EventBus`` over a JetStream stream, so every instance sees every event.

``publish`` sends the event in its one JSON encoding (``rtcc.events.encode``) to
``<prefix>.events.<type>`` (a core NATS publish, buffered by the client while disconnected).
Every bus follows the stream with its own consumer starting at the newest message, and hands
each event to its local subscribers (an ``InProcessBus``; with none, it is not even decoded):
a console on any API instance sees events published on any host, including its own, once.

Read events published together (an ingest batch's) travel as one message, a JSON array of their
encodings, up to ``BATCH_EVENTS``: a busy ingest stores thousands a second, and a message each
costs the server and every instance more than the event does. Other events go one a message,
in the order published.

The bus remembers the stream sequence of the last event it delivered. After a reconnect (a
server restart, a network cut) it re-subscribes from the next sequence, so nothing published
meanwhile is missed and nothing is delivered twice (sequences at or below the last are dropped).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import Any

import orjson
from nats.errors import OutboundBufferLimitError
from nats.js.api import DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError as JsNotFoundError

from rtcc.bus.connection import NatsConnection
from rtcc.config import BusSettings
from rtcc.events import (
    AsyncSubscription,
    Event,
    EventDecodeError,
    EventType,
    InProcessBus,
    SyncSubscription,
    decode,
    encode,
    from_message,
)

log = logging.getLogger(__name__)
BATCH_EVENTS = 500  # read events in one bus message at most
BATCH_BYTES = 512 * 1024  # and no more bytes than this (the server's limit is 1 MB)


HELD_MAX = 100_000  # events held while disconnected (the client's own buffer is 2 MB)


def events_stream(prefix: str) -> str:
    return f"{prefix.upper()}_EVENTS"


class NatsBus:
    def __init__(self, conn: NatsConnection, settings: BusSettings) -> None:
        self.conn = conn
        self.settings = settings
        self.prefix = settings.subject_prefix
        self.stream = events_stream(self.prefix)
        self.local = InProcessBus()
        self.last_seq = 0  # stream sequence of the last event handed to local subscribers
        self.published = 0
        self.delivered = 0
        self.dropped = 0
        self._sub: Any = None
        self._lock = threading.Lock()
        self._outgoing: list[tuple[EventType, bytes]] = []  # published, not yet on the loop
        # Published while disconnected: held here (not in the client's buffer, which it sends
        # the moment it reconnects, when a restarted server may not have its stream back yet
        # and would drop them) until the stream answers again.
        self._held: deque[tuple[str, bytes]] = deque()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> NatsBus:
        self.conn.run(self._ensure_stream())
        self.conn.run(self._subscribe(resume=False))
        self.conn.on_reconnect(self._resubscribe)
        return self

    async def _ensure_stream(self) -> None:
        js = self.conn.jetstream()
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self.prefix}.events.>"],
            max_age=self.settings.events_max_age_s,
            storage=StorageType.FILE,
        )
        try:
            await js.stream_info(self.stream)
        except JsNotFoundError:
            await js.add_stream(config)

    async def _subscribe(self, *, resume: bool) -> None:
        js = self.conn.jetstream()
        if resume and self.last_seq:
            policy, start = DeliverPolicy.BY_START_SEQUENCE, self.last_seq + 1
        elif resume:
            policy, start = DeliverPolicy.ALL, None  # nothing seen yet: everything kept since
        else:
            policy, start = DeliverPolicy.NEW, None
        config = None
        if start is not None:
            from nats.js.api import ConsumerConfig

            config = ConsumerConfig(opt_start_seq=start)
        self._sub = await js.subscribe(
            f"{self.prefix}.events.>",
            stream=self.stream,
            cb=self._on_message,
            deliver_policy=policy,
            config=config,
            ordered_consumer=True,
            idle_heartbeat=2.0,
            inactive_threshold=60.0,
        )

    async def _resubscribe(self) -> None:
        """After a reconnect: follow the stream again from the last event delivered. A server
        that has just restarted may not answer JetStream requests yet: retried until it does
        (a failed attempt must not leave this instance deaf to every later event)."""
        old, self._sub = self._sub, None
        if old is not None:
            try:
                await old.unsubscribe()
            except Exception:  # noqa: BLE001 - the old consumer may be gone with the server
                log.debug("old events subscription already gone", exc_info=True)
        delay = 0.25
        while not self.conn.client.is_closed:
            try:
                await self._ensure_stream()
                await self._subscribe(resume=True)
            except Exception as exc:  # noqa: BLE001 - timeouts, JetStream not ready yet, ...
                log.warning("events: resubscribe failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            log.info("events: resumed after stream sequence %d", self.last_seq)
            await self._release_held()
            return

    async def _release_held(self) -> None:
        held, self._held = self._held, deque()
        if held:
            log.info("events: sending %d events held while disconnected", len(held))
            await self._publish(list(held))

    async def _on_message(self, msg: Any) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self.last_seq:
            return  # already delivered before a re-subscription
        self.last_seq = seq
        if not self.local.subscribers:
            return  # nobody here listens (an ingest-only host): not worth decoding
        for event in _unpack(msg.data, seq):
            self.delivered += 1
            self.local.publish(event)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until the server has every event published so far (before a short-lived
        process such as a CLI import exits)."""
        self.conn.run(self._flush(), timeout=timeout)

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # the publish tasks scheduled before this one start first
        await self.conn.client.flush()

    def close(self) -> None:
        if self._sub is not None and self.conn.connected.is_set():
            try:
                self.conn.run(self._sub.unsubscribe(), timeout=2.0)
            except Exception:  # noqa: BLE001 - closing while disconnected
                log.debug("events unsubscribe failed", exc_info=True)
        self.conn.close()

    # --- EventBus ---------------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        """Events published meanwhile (a batch of reads' events) go to the loop together, in
        order: one wake-up of the loop for them all, not one each."""
        data = encode(event).encode()
        with self._lock:
            self.published += 1
            self._outgoing.append((event.type, data))
            first = len(self._outgoing) == 1
        if first:
            self.conn.call_soon(self._start_publish)

    def _start_publish(self) -> None:
        with self._lock:
            batch, self._outgoing = self._outgoing, []
        self.conn.loop.create_task(self._publish(pack(self.prefix, batch)))

    async def _publish(self, batch: list[tuple[str, bytes]]) -> None:
        if self._held or not self.conn.connected.is_set():
            room = HELD_MAX - len(self._held)
            self._held.extend(batch[:room])
            if len(batch) > room:
                self.dropped += len(batch) - room
                log.warning("events: %d held while disconnected; newer ones dropped", HELD_MAX)
            return
        for subject, data in batch:
            try:
                await self.conn.client.publish(subject, data)
            except OutboundBufferLimitError:
                self.dropped += 1
                log.warning("events: client buffer full while disconnected; event dropped")
            except Exception:  # noqa: BLE001 - a publish must never raise into the publisher
                self.dropped += 1
                log.exception("events: publish failed")

    def subscribe(self, maxsize: int = 1000) -> SyncSubscription:
        return self.local.subscribe(maxsize)

    def subscribe_async(self, maxsize: int = 1000) -> AsyncSubscription:
        return self.local.subscribe_async(maxsize)

    def __repr__(self) -> str:
        return f"NatsBus({self.stream}, last_seq={self.last_seq}, delivered={self.delivered})"


def pack(prefix: str, events: list[tuple[EventType, bytes]]) -> list[tuple[str, bytes]]:
    """``(type, encoding)`` of events, in order, as bus messages ``(subject, data)``: runs of
    read events as JSON arrays (at most ``BATCH_EVENTS`` / ``BATCH_BYTES`` each), the rest one
    a message."""
    out: list[tuple[str, bytes]] = []
    run: list[bytes] = []
    size = 0
    read_subject = f"{prefix}.events.{EventType.READ.value}"
    for kind, data in events:
        if run and (
            kind != EventType.READ or len(run) >= BATCH_EVENTS or size + len(data) > BATCH_BYTES
        ):
            out.append((read_subject, b"[" + b",".join(run) + b"]"))
            run, size = [], 0
        if kind == EventType.READ:
            run.append(data)
            size += len(data) + 1
        else:
            out.append((f"{prefix}.events.{kind.value}", data))
    if run:
        out.append((read_subject, b"[" + b",".join(run) + b"]"))
    return out


def _unpack(data: bytes, seq: int) -> list[Event]:
    """The events of one bus message (one, or an array of them); any that is not an event
    this build understands is dropped and logged, the others kept (fail closed, per event)."""
    if data[:1] != b"[":
        try:
            return [decode(data)]  # the one JSON encoding; unknown types are refused
        except EventDecodeError as exc:
            log.warning("dropping an undecodable event at sequence %d: %s", seq, exc.message)
            return []
    try:
        items = orjson.loads(data)
    except ValueError as exc:
        log.warning("dropping undecodable events at sequence %d: %s", seq, exc)
        return []
    out = []
    for item in items:
        try:
            if not isinstance(item, dict):
                raise EventDecodeError("not an event object")
            out.append(from_message(item))
        except EventDecodeError as exc:
            log.warning("dropping an undecodable event at sequence %d: %s", seq, exc.message)
    return out
