"""A node's worker messages to the hub: into the local outbox, then JetStream, then deleted.

``submit`` never blocks on the network: the message is on disk when it returns. A thread
publishes the outbox in order with ``Nats-Msg-Id`` set to the message's stable id and deletes
each message once JetStream acknowledged it. While the hub cannot be reached the outbox grows
(store and forward); a message published twice (acked, but the ack was lost) is dropped by the
stream's de-duplication window, and the ingest inbox catches anything later.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from cameras.messages import WorkerMessage
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox, Pending
from rtcc.bus.streams import ensure_ingest_stream, ingest_subject
from rtcc.runtime.wire import encode, kind_of, message_id

log = logging.getLogger(__name__)
NODE_HEADER = "Rtcc-Node"  # the node a message comes from (sets the camera's ``node``)


class Forwarder:
    def __init__(
        self, conn: NatsConnection, outbox: Outbox, *, batch: int = 200, node_id: str | None = None
    ) -> None:
        self.conn = conn
        self.node_id = node_id
        self.settings = conn.settings
        self.outbox = outbox
        self.batch = batch
        self.forwarded = 0
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._stream_ready = False

    def start(self) -> Forwarder:
        self._thread.start()
        return self

    def submit(self, msg: WorkerMessage) -> None:
        subject = ingest_subject(self.settings, kind_of(msg), msg.camera_id)
        self.outbox.put(message_id(msg), subject, encode(msg))
        self._wake.set()

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            pending = self.outbox.pending(self.batch)
            if not pending:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            try:
                self.conn.run(self._publish(pending), timeout=30.0)
                backoff = 0.2
            except Exception as exc:  # noqa: BLE001 - the hub is away: keep the outbox, retry
                self.failures += 1
                self._stream_ready = False  # a new server may have lost the stream
                log.debug("forwarder: %d waiting, hub unreachable: %r", len(pending), exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _publish(self, pending: list[Pending]) -> None:
        js = self.conn.jetstream()
        if not self._stream_ready:
            await ensure_ingest_stream(js, self.settings)
            self._stream_ready = True

        async def one(p: Pending) -> str:
            headers = {"Nats-Msg-Id": p.message_id}
            if self.node_id:
                headers[NODE_HEADER] = self.node_id
            await js.publish(p.subject, p.payload, timeout=5.0, headers=headers)
            return p.message_id

        results = await asyncio.gather(*(one(p) for p in pending), return_exceptions=True)
        # Stored by the stream: forget them together (one disk sync). Lost before this, they
        # are sent again and dropped by the stream's duplicate window or by the ingest inbox.
        done = [r for r in results if isinstance(r, str)]
        self.outbox.ack_many(done)
        self.forwarded += len(done)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until the outbox is empty (tests, orderly shutdown); False on timeout."""
        deadline = threading.Event()
        waited = 0.0
        while len(self.outbox) and waited < timeout:
            self._wake.set()
            deadline.wait(0.1)
            waited += 0.1
        return not len(self.outbox)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10.0)
