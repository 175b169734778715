"""A node's worker messages to the hub: into the local outbox, then JetStream, then deleted.

``submit`` never blocks on the network: the message is on disk when it returns (the camera
relay threads' submits share disk syncs: ``Outbox`` group commit). A read carries its photos
(``rtcc.runtime.media_relay``). A thread publishes the outbox in order, a batch at a time,
packed in a few envelopes (``wire.pack``: each message keeps its stable id inside; an envelope
stays under the server's payload limit) with every acknowledgement outstanding at once, and
deletes the acknowledged envelopes' messages together: per envelope, not per message, one
publish, one stored stream message, one acknowledgement, one delivery and one consumer ack.
While the hub cannot be reached the outbox grows (store and forward); an envelope published
twice (acked, but the ack was lost) is dropped by the stream's de-duplication window
(``Nats-Msg-Id``: a hash of its messages' ids), and the ingest inbox drops each message
stored before whatever envelope carries it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError

from cameras.messages import ReadMessage, WorkerMessage
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox, Pending
from rtcc.bus.streams import ensure_ingest_stream, envelope_subject, ingest_subject
from rtcc.runtime import media_relay
from rtcc.runtime.wire import (
    ENVELOPE_MAGIC,
    encode,
    envelope_id,
    frame_size,
    kind_of,
    message_id,
    pack,
)

log = logging.getLogger(__name__)
BATCH_BYTES = 8 * 1024 * 1024  # a batch of reads with photos stays this small in memory
LINGER_S = 0.005  # after being idle, wait this long for more before publishing
ROUND_S = 0.02  # while busy, a round at most this often (unless a whole batch waits)
ACK_TIMEOUT_S = 5.0  # a batch's acknowledgements not back by then: kept, sent again
NODE_HEADER = "Rtcc-Node"  # the node a message comes from (sets the camera's ``node``)
ENVELOPE_HEADER = "Rtcc-Envelope"  # on an envelope: how many messages it holds
ENVELOPE_BYTES = 1024 * 1024  # an envelope's size at most (and under the server's max_payload)
HEADERS_ROOM = 4096  # of the server's max_payload, kept for an envelope's headers


class Forwarder:
    def __init__(
        self,
        conn: NatsConnection,
        outbox: Outbox,
        *,
        batch: int = 500,
        node_id: str | None = None,
        data_dir: Path | None = None,
        envelope_bytes: int = ENVELOPE_BYTES,
    ) -> None:
        self.conn = conn
        self.node_id = node_id
        self.data_dir = data_dir  # a read's photos are sent along from here (``media_relay``)
        self.settings = conn.settings
        self.outbox = outbox
        self.batch = batch
        self.envelope_bytes = envelope_bytes
        self.forwarded = 0
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._stream_ready = False
        self._js: JetStreamContext | None = None
        self._inbox: str | None = None  # acknowledgements come back under it
        self._round = 0
        self._subject = envelope_subject(self.settings, node_id)
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
        started, full = 0.0, False
        while not self._stop.is_set():
            pause = started + ROUND_S - time.monotonic()
            if pause > 0 and not full:  # a busy node: fewer, larger rounds (and envelopes)
                self._stop.wait(pause)
            pending = self.outbox.pending(self.batch, max_bytes=BATCH_BYTES)
            if not pending:
                if self._wake.wait(0.5):
                    self._wake.clear()
                    self._stop.wait(LINGER_S)  # the reads of the same moment join the batch
                continue
            started, full = time.monotonic(), len(pending) >= self.batch
            try:
                done, error = self.conn.run(self._publish(pending), timeout=ACK_TIMEOUT_S * 3)
                # Stored by the stream: forget them together, off the connection's loop.
                # Lost before this, they are sent again and dropped by the stream's duplicate
                # window or by the ingest inbox.
                self.outbox.forget(done)
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

    async def _publish(self, pending: list[Pending]) -> tuple[list[int], BaseException | None]:
        """Publish ``pending`` packed in envelopes (``wire.pack``), every acknowledgement
        outstanding at once: the outbox rows the stream stored, and the first failure (the
        rest stay in the outbox, sent again). Each envelope asks for its acknowledgement on
        ``<inbox>.<round>.<index>`` of one subscription of ours (the client restores it after
        a reconnect): per envelope, a publish and a look at the answer."""
        if self._js is None:
            self._js = self.conn.jetstream()
        if not self._stream_ready:
            await ensure_ingest_stream(self._js, self.settings)
            self._stream_ready = True
        client = self.conn.client
        if self._inbox is None:
            self._inbox = client.new_inbox()
            await client.subscribe(f"{self._inbox}.*.*", cb=self._on_ack)
        envelopes = plan_envelopes(pending, self._envelope_cap(client))
        self._round += 1
        acks = self._acks = _Round(self._round, len(envelopes))
        error: BaseException | None = None
        sent = 0
        for i, group in enumerate(envelopes):
            ids = [p.message_id for p in group]
            headers = {"Nats-Msg-Id": envelope_id(ids), ENVELOPE_HEADER: str(len(group))}
            if self.node_id:
                headers[NODE_HEADER] = self.node_id
            payload = pack([(p.message_id, p.payload) for p in group])
            try:
                reply = f"{self._inbox}.{acks.number}.{i}"
                await client.publish(self._subject, payload, reply=reply, headers=headers)
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
        for i, group in enumerate(envelopes[:sent]):
            failure = acks.answers.get(i, _NO_ANSWER)
            if failure is None:
                done += [p.seq for p in group]
            else:  # no answer: sent again later, the duplicate window drops it
                error = error or failure
        return done, error

    def _envelope_cap(self, client: Any) -> int:
        """An envelope's bytes: under the server's message limit, headers included."""
        limit = int(getattr(client, "max_payload", 0) or 0) or ENVELOPE_BYTES
        return min(self.envelope_bytes, limit - HEADERS_ROOM)

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


def plan_envelopes(pending: list[Pending], max_bytes: int) -> list[list[Pending]]:
    """``pending`` in order, cut into envelopes of at most ``max_bytes`` packed (one message
    larger than that travels alone, and the server decides)."""
    out: list[list[Pending]] = []
    size = len(ENVELOPE_MAGIC)
    for p in pending:
        grows = frame_size(p.message_id, p.payload)
        if not out or size + grows > max_bytes:
            out.append([])
            size = len(ENVELOPE_MAGIC)
        out[-1].append(p)
        size += grows
    return out


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
