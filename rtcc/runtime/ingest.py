"""The core process's single writer: worker messages in, rows and events out.

Each message is handled in its own short transaction; events go out after the commit. Reads and
segments pass through a durable local spool first (``rtcc.runtime.spool``), so a database
outage delays them instead of losing them.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cameras.backoff import Backoff
from cameras.logs import replay
from cameras.messages import ReadMessage, SegmentMessage, StatusMessage, WorkerMessage
from cameras.sources import redact_url
from hotlist import sightings
from hotlist.matcher import Match
from rtcc.db import transaction
from rtcc.events import CameraStatusEvent, Event, HitUpdatedEvent, NewHitEvent, ReadEvent
from rtcc.integrations.trailers import locate_read
from rtcc.models import Camera, CameraStatus, PlateRead, VideoSegment
from rtcc.plates import alternatives_to_json
from rtcc.runtime import media_relay
from rtcc.runtime.services import Services
from rtcc.runtime.spool import IngestSpool, SpoolWriter
from rtcc.vocab import ReadStatus

log = logging.getLogger(__name__)


class Ingestor:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.shared = media_relay.shared_media(services)  # with NATS: photos for every instance

    def handle(self, msg: Any) -> None:
        if isinstance(msg, ReadMessage):
            self._read(msg)
        elif isinstance(msg, StatusMessage):
            self._status(msg)
        elif isinstance(msg, SegmentMessage):
            self._segment(msg)
        elif isinstance(msg, logging.LogRecord):
            replay(msg)
        else:
            log.warning("ignoring unknown worker message %r", type(msg).__name__)

    def _read(self, msg: ReadMessage) -> None:
        now = self.s.clock.now()
        with transaction(self.s.sessions) as session:
            if stale_preview(session, msg):
                return
            events = store_read_and_hits(session, self.s, msg, now=now)
        for event in events:
            self.s.bus.publish(event)
        if self.shared is not None:  # this host's own cameras (``serve --role all``)
            self.shared.share_stored(self.s.settings.data_dir, msg)

    def _status(self, msg: StatusMessage) -> None:
        now = self.s.clock.now()
        message = redact_url(msg.message) if msg.message else None
        with transaction(self.s.sessions) as session:
            cam = session.get(Camera, msg.camera_id)
            if cam is None:
                return
            changed = cam.state != msg.state or (msg.state == "error" and cam.last_error != message)
            if changed:
                cam.state = msg.state
                cam.state_since_at = msg.at
                session.add(
                    CameraStatus(camera_id=cam.id, state=msg.state, message=message, at=msg.at)
                )
            if msg.state in ("error", "failed", "offline") or changed:
                cam.last_error = message if msg.state in ("error", "failed") else cam.last_error
            cam.state_reason = message  # why it is in this state now (None: nothing to say)
            cam.input_fps = msg.input_fps
            cam.analysed_fps = msg.analysed_fps
            cam.skipped_frames = msg.skipped_frames
            cam.motion_skipped_frames = msg.motion_skipped
            cam.reconnects = max(cam.reconnects, msg.reconnects)
            if msg.restarts is not None:
                cam.restarts = msg.restarts
            if msg.last_frame_at is not None:
                cam.last_frame_at = msg.last_frame_at
            cam.updated_at = now
            session.flush()
            event = CameraStatusEvent.of(cam)
        self.s.bus.publish(event)

    def _segment(self, msg: SegmentMessage) -> None:
        with transaction(self.s.sessions) as session:
            if session.scalar(select(VideoSegment.id).where(VideoSegment.path == msg.path)):
                return  # already indexed (a recovered segment announced twice)
            session.add(
                VideoSegment(
                    camera_id=msg.camera_id,
                    start_at=msg.start_at,
                    end_at=msg.end_at,
                    path=msg.path,
                    bytes=msg.bytes,
                    gap_before_s=msg.gap_before_s,
                    gap_reason=redact_url(msg.gap_reason) if msg.gap_reason else None,
                    created_at=self.s.clock.now(),
                )
            )


def store_read_and_hits(
    session: Session, services: Services, msg: ReadMessage, *, now: datetime
) -> list[Event]:
    """Store ``msg``'s read, match it and record its hits (flushed, not committed); the events
    to publish once the caller has committed. Shared by the in-process ingest thread and the
    bus consumer (``rtcc.runtime.read_batch`` for what it cannot batch)."""
    read = store_read(session, msg, now=now)
    matches = services.matcher.match_read(msg.record, now=now)
    return [ReadEvent.of(read), *hit_events(session, services, read, matches, now=now)]


def hit_events(
    session: Session,
    services: Services,
    read: PlateRead,
    matches: list[Match],
    *,
    now: datetime,
    new_read: bool = False,
) -> list[Event]:
    """Record what ``read`` matching ``matches`` means for the hits; their events.
    (``new_read``: inserted in this transaction, see ``sightings.record``.)"""
    fold = fold_rules(services)
    return [
        outcome_event(
            session,
            read,
            match,
            sightings.record(
                session, read=read, match=match, now=now, rules=fold, new_read=new_read
            ),
        )
        for match in matches
    ]


def fold_rules(services: Services) -> sightings.FoldRules:
    rules = services.settings.matching
    return sightings.FoldRules(rules.dedup_window_s, rules.realert_after_s)


def outcome_event(
    session: Session, read: PlateRead, match: Match, got: sightings.HitOutcome
) -> Event:
    """The event of what a read did to the hits: a new hit, or the hit it folded into."""
    if got.created:
        entry, hotlist = match.entry, match.entry.hotlist
        fields = NewHitEvent.fields_of(got.hit, read, entry=entry, hotlist=hotlist)
        return NewHitEvent(**fields, alert=got.alert)
    return HitUpdatedEvent.load(session, got.hit)


def stale_preview(session: Session, msg: ReadMessage) -> bool:
    """A preview arriving after its read's final version (out of order, or replayed from the
    spool or the bus): keep the final."""
    if msg.record.status != ReadStatus.PREVIEW:
        return False
    status = session.scalar(
        select(PlateRead.status).where(
            PlateRead.camera_id == msg.camera_id, PlateRead.track_key == msg.record.track_key
        )
    )
    return status == ReadStatus.FINAL.value


def read_row(msg: ReadMessage, *, now: datetime) -> dict[str, Any]:
    """The ``plate_read`` columns of ``msg``'s read (a new track's row as it is inserted)."""
    rec = msg.record
    return {
        "camera_id": msg.camera_id,
        "track_key": rec.track_key,
        "plate": rec.plate,
        "raw_text": rec.raw_text,
        "confidence": rec.confidence,
        "char_confidences": list(rec.char_confidences),
        "char_alternatives": alternatives_to_json(rec.char_alternatives),
        "region": rec.region,
        "format_ok": rec.format_ok,
        "status": rec.status.value,
        "frames": rec.frames,
        "observed_at": rec.first_seen,
        "last_seen_at": rec.last_seen,
        "box": list(rec.box),
        "snapshot_path": msg.snapshot_path,
        "crop_path": msg.crop_path,
        "created_at": now,
        "updated_at": now,
    }


def store_read(session: Session, msg: ReadMessage, *, now: datetime) -> PlateRead:
    """Insert or update (preview, then final) the row of ``msg``'s track; flushed, not committed."""
    rec = msg.record
    read = session.scalar(
        select(PlateRead).where(
            PlateRead.camera_id == msg.camera_id, PlateRead.track_key == rec.track_key
        )
    )
    row = read_row(msg, now=now)
    if read is None:
        read = PlateRead(**row)
        session.add(read)
    else:
        if read.status == "preview" and rec.status == "final":
            # the preview's files stay on disk and named (a hit may rest on them)
            read.preview_snapshot_path = read.preview_snapshot_path or read.snapshot_path
            read.preview_crop_path = read.preview_crop_path or read.crop_path
        row["snapshot_path"] = msg.snapshot_path or read.snapshot_path
        row["crop_path"] = msg.crop_path or read.crop_path
        del row["created_at"]
        for column, value in row.items():
            setattr(read, column, value)
    locate_read(session, read)  # a mobile camera: where it was at the read
    session.flush()
    return read


class IngestThread:
    """Moves worker messages from ``source`` into the durable spool until stopped; a
    ``SpoolWriter`` stores them into the database (``rtcc.runtime.spool``). Never waits on the
    database, so messages keep being kept while it is unreachable."""

    def __init__(
        self,
        ingestor: Ingestor,
        source: Any,
        spool: IngestSpool,
        *,
        batch: int = 200,
        backoff: Backoff | None = None,
        alert_every_s: float = 10.0,
    ) -> None:
        self.source = source
        self.spool = spool
        self.batch = batch
        self.writer = SpoolWriter(
            ingestor.handle,
            spool,
            bus=ingestor.s.bus,
            clock=ingestor.s.clock,
            backoff=backoff,
            alert_every_s=alert_every_s,
        )
        self._carry: list[WorkerMessage] = []  # not yet on disk (the spool failed to write)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)

    @property
    def handled(self) -> int:
        return self.writer.handled

    def start(self) -> None:
        self.writer.start()  # leftovers of an earlier run first (they are first in the spool)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self.source.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                break
            self._take([first, *self._more()])
        self._take(self._more())  # what the workers sent before they stopped

    def _more(self) -> list[Any]:
        more: list[Any] = []
        while len(more) < self.batch:
            try:
                more.append(self.source.get_nowait())
            except (queue.Empty, EOFError, OSError):
                break
        return more

    def _take(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if isinstance(msg, (ReadMessage, SegmentMessage)):
                self._carry.append(msg)
            elif isinstance(msg, StatusMessage):
                self.writer.offer_status(msg)
            elif isinstance(msg, logging.LogRecord):
                replay(msg)
            else:
                log.warning("ignoring unknown worker message %r", type(msg).__name__)
        if not self._carry:
            return
        try:
            self.spool.put_many(self._carry)
        except Exception:  # noqa: BLE001 - e.g. a full disk: kept in memory, tried again
            log.exception("ingest: %d message(s) could not be spooled; retrying", len(self._carry))
            return
        self._carry = []
        self.writer.notify()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        if self.writer.stop(timeout):
            self.spool.close()


def sync_cameras(session: Session, services: Services) -> None:
    """Make the camera table match the configured cameras (start state: starting)."""
    now = services.clock.now()
    for cfg in services.settings.cameras:
        cam = session.get(Camera, cfg.id)
        if cam is None:
            cam = Camera(id=cfg.id, created_at=now, reconnects=0, restarts=0)
            session.add(cam)
        cam.name = cfg.name
        cam.lat = cfg.location.lat if cfg.location else None
        cam.lon = cfg.location.lon if cfg.location else None
        cam.enabled = cfg.enabled
        state = "starting" if cfg.enabled else "offline"
        if cam.state != state or cam.state_since_at is None:  # uptime: history restarts here
            session.add(
                CameraStatus(
                    camera_id=cfg.id,
                    state=state,
                    at=now,
                    message=None if cfg.enabled else "disabled",
                )
            )
        cam.state = state
        cam.state_since_at = now
        cam.state_reason = None
        cam.last_error = None if cfg.enabled else "disabled in the configuration"
        cam.input_fps = cam.analysed_fps = 0.0
        cam.skipped_frames = 0
        cam.updated_at = now
    session.flush()
