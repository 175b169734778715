"""A node's worker messages to the hub: into the local outbox, then JetStream, then deleted.

``submit`` never blocks on the network: the message is on disk when it returns (the camera
relay threads' submits share disk syncs: ``Outbox`` group commit). A read carries its photos
(``rtcc.runtime.media_relay``). A thread publishes the outbox in order, a batch at a time with
every acknowledgement outstanding at once, ``Nats-Msg-Id`` set to the message's stable id, and
deletes the batch's acknowledged messages together. While the hub cannot be reached the outbox
grows (store and forward); a message published twice (acked, but the ack was lost) is dropped
by the stream's de-duplication window, and the ingest inbox catches anything later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError

from cameras.messages import ReadMessage, WorkerMessage
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox, Pending
from rtcc.bus.streams import ensure_ingest_stream, ingest_subject
from rtcc.runtime import media_relay
from rtcc.runtime.wire import encode, kind_of, message_id

log = logging.getLogger(__name__)
BATCH_BYTES = 8 * 1024 * 1024  # a batch of reads with photos stays this small in memory
LINGER_S = 0.005  # after being idle, wait this long for more before publishing
ACK_TIMEOUT_S = 5.0  # a batch's acknowledgements not back by then: kept, sent again
NODE_HEADER = "Rtcc-Node"  # the node a message comes from (sets the camera's ``node``)


class Forwarder:
    def __init__(
        self,
        conn: NatsConnection,
        outbox: Outbox,
        *,
        batch: int = 500,
        node_id: str | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.conn = conn
        self.node_id = node_id
        self.data_dir = data_dir  # a read's photos are sent along from here (``media_relay``)
        self.settings = conn.settings
        self.outbox = outbox
        self.batch = batch
        self.forwarded = 0
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._stream_ready = False
        self._js: JetStreamContext | None = None
        self._inbox: str | None = None  # acknowledgements come back under it
        self._round = 0
        self._acks: _Round | None = None  # the round being acknowledged

    def start(self) -> Forwarder:
        self._thread.start()
        return self

    def submit(self, msg: WorkerMessage) -> None:
        """Keep ``msg`` for the hub; returns once it is on disk (the sync is shared by the
        messages submitted meanwhile from other threads: ``Outbox`` group commit)."""
        self.submit_many([msg])

    def submit_many(self, msgs: list[WorkerMessage]) -> None:
        self.outbox.put_many(
            (message_id(m), ingest_subject(self.settings, kind_of(m), m.camera_id), self._wire(m))
            for m in msgs
        )
        self._wake.set()

    def _wire(self, msg: WorkerMessage) -> bytes:
        limit = self.settings.media_max_bytes
        if self.data_dir is None or not limit or not isinstance(msg, ReadMessage):
            return encode(msg)
        return encode(msg, media=media_relay.gather(self.data_dir, msg, max_bytes=limit))

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            pending = self.outbox.pending(self.batch, max_bytes=BATCH_BYTES)
            if not pending:
                if self._wake.wait(0.5):
                    self._wake.clear()
                    self._stop.wait(LINGER_S)  # the reads of the same moment join the batch
                continue
            try:
                done, error = self.conn.run(self._publish(pending), timeout=ACK_TIMEOUT_S * 3)
                # Stored by the stream: forget them together, off the connection's loop.
                # Lost before this, they are sent again and dropped by the stream's duplicate
                # window or by the ingest inbox.
                self.outbox.ack_many(done)
                self.forwarded += len(done)
                if error is not None:
                    raise error
                backoff = 0.2
            except Exception as exc:  # noqa: BLE001 - the hub is away: keep the outbox, retry
                self.failures += 1
                self._stream_ready = False  # a new server may have lost the stream
                log.debug("forwarder: %d waiting, hub unreachable: %r", len(pending), exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _publish(self, pending: list[Pending]) -> tuple[list[str], BaseException | None]:
        """Publish ``pending`` with every acknowledgement outstanding at once: the ids the
        stream stored, and the first failure (the rest stay in the outbox, sent again).
        Each message asks for its acknowledgement on ``<inbox>.<round>.<index>`` of one
        subscription of ours (the client restores it after a reconnect): per message, a
        publish and a look at the answer — no future, timer or decoded JSON each."""
        if self._js is None:
            self._js = self.conn.jetstream()
        if not self._stream_ready:
            await ensure_ingest_stream(self._js, self.settings)
            self._stream_ready = True
        client = self.conn.client
        if self._inbox is None:
            self._inbox = client.new_inbox()
            await client.subscribe(f"{self._inbox}.*.*", cb=self._on_ack)
        self._round += 1
        acks = self._acks = _Round(self._round, len(pending))
        error: BaseException | None = None
        sent = 0
        for i, p in enumerate(pending):
            headers = {"Nats-Msg-Id": p.message_id}
            if self.node_id:
                headers[NODE_HEADER] = self.node_id
            try:
                await client.publish(
                    p.subject, p.payload, reply=f"{self._inbox}.{acks.number}.{i}", headers=headers
                )
            except Exception as exc:  # noqa: BLE001 - disconnected: wait for those sent
                error = exc
                break
            sent += 1
        acks.expected = sent
        if sent and len(acks.answers) < sent:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(acks.complete.wait(), ACK_TIMEOUT_S)
        self._acks = None
        done = []
        for i, p in enumerate(pending[:sent]):
            failure = acks.answers.get(i, _NO_ANSWER)
            if failure is None:
                done.append(p.message_id)
            else:  # no answer: sent again later, the duplicate window drops it
                error = error or failure
        return done, error

    async def _on_ack(self, msg: Any) -> None:
        """A stream's answer to one message of the current round (late answers of an earlier
        round are ignored: those messages are still in the outbox and sent again)."""
        acks = self._acks
        _, number, index = msg.subject.rsplit(".", 2)
        if acks is None or int(number) != acks.number:
            return
        acks.answers[int(index)] = _failure(msg)
        if len(acks.answers) >= acks.expected:
            acks.complete.set()

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


@dataclass
class _Round:
    """The acknowledgements of one published batch: index -> None (stored) or the failure."""

    number: int
    expected: int
    answers: dict[int, BaseException | None] = field(default_factory=dict)
    complete: asyncio.Event = field(default_factory=asyncio.Event)


_NO_ANSWER = TimeoutError(f"no acknowledgement in {ACK_TIMEOUT_S:g} s")


def _failure(msg: Any) -> BaseException | None:
    """None when the stream stored the message (or already had it: a duplicate); else why not."""
    if msg.headers and msg.headers.get("Status") == "503":
        return NoStreamResponseError()
    if b'"error"' not in msg.data:
        return None  # {"stream": ..., "seq": ...[, "duplicate": true]}
    try:
        error = APIError.from_error(json.loads(msg.data)["error"])  # raises it, by its code
    except APIError as exc:
        return exc
    except (ValueError, KeyError, TypeError) as exc:
        return APIError(description=f"unreadable acknowledgement: {exc!r}")
    return error if isinstance(error, BaseException) else APIError(description=str(error))
