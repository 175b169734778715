"""The core process's single writer: worker messages in, rows and events out.

Each message is handled in its own short transaction; events go out after the commit.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cameras.logs import replay
from cameras.messages import ReadMessage, SegmentMessage, StatusMessage
from cameras.sources import redact_url
from hotlist import sightings
from rtcc.db import transaction
from rtcc.events import CameraStatusEvent, Event, HitUpdatedEvent, NewHitEvent, ReadEvent
from rtcc.integrations.trailers import locate_read
from rtcc.models import Camera, CameraStatus, PlateRead, VideoSegment
from rtcc.plates import alternatives_to_json
from rtcc.runtime.services import Services

log = logging.getLogger(__name__)


class Ingestor:
    def __init__(self, services: Services) -> None:
        self.s = services

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
            events = store_read_and_hits(session, self.s, msg, now=now)
        for event in events:
            self.s.bus.publish(event)

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
    bus consumer (``rtcc.runtime.read_consumer``)."""
    read = store_read(session, msg, now=now)
    events: list[Event] = [ReadEvent.of(read)]
    rules = services.settings.matching
    fold = sightings.FoldRules(rules.dedup_window_s, rules.realert_after_s)
    for match in services.matcher.match_read(msg.record, now=now):
        got = sightings.record(session, read=read, match=match, now=now, rules=fold)
        if got.created:
            entry, hotlist = match.entry, match.entry.hotlist
            events.append(NewHitEvent(**NewHitEvent.fields_of(got.hit, read, entry=entry,
                                                              hotlist=hotlist), alert=got.alert))
        else:
            events.append(HitUpdatedEvent.load(session, got.hit))
    return events


def store_read(session: Session, msg: ReadMessage, *, now: datetime) -> PlateRead:
    """Insert or update (preview, then final) the row of ``msg``'s track; flushed, not committed."""
    rec = msg.record
    read = session.scalar(
        select(PlateRead).where(
            PlateRead.camera_id == msg.camera_id, PlateRead.track_key == rec.track_key
        )
    )
    if read is None:
        read = PlateRead(camera_id=msg.camera_id, track_key=rec.track_key, created_at=now)
        session.add(read)
    elif read.status == "preview" and rec.status == "final":
        # the preview's files stay on disk and named (a hit may rest on them)
        read.preview_snapshot_path = read.preview_snapshot_path or read.snapshot_path
        read.preview_crop_path = read.preview_crop_path or read.crop_path
    read.plate = rec.plate
    read.raw_text = rec.raw_text
    read.confidence = rec.confidence
    read.char_confidences = list(rec.char_confidences)
    read.char_alternatives = alternatives_to_json(rec.char_alternatives)
    read.region = rec.region
    read.format_ok = rec.format_ok
    read.status = rec.status
    read.frames = rec.frames
    read.observed_at = rec.first_seen
    read.last_seen_at = rec.last_seen
    read.box = list(rec.box)
    read.snapshot_path = msg.snapshot_path or read.snapshot_path
    read.crop_path = msg.crop_path or read.crop_path
    read.updated_at = now
    locate_read(session, read)  # a mobile camera: where it was at the read
    session.flush()
    return read


class IngestThread:
    """Drains a worker queue into the ``Ingestor`` until stopped."""

    def __init__(self, ingestor: Ingestor, source: Any) -> None:
        self.ingestor = ingestor
        self.source = source
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
        self.handled = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.source.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                break
            try:
                self.ingestor.handle(msg)
                self.handled += 1
            except Exception:  # noqa: BLE001 - one bad message must not stop ingest
                log.exception("failed to store a worker message")

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


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
            session.add(CameraStatus(camera_id=cfg.id, state=state, at=now,
                                     message=None if cfg.enabled else "disabled"))
        cam.state = state
        cam.state_since_at = now
        cam.state_reason = None
        cam.last_error = None if cfg.enabled else "disabled in the configuration"
        cam.input_fps = cam.analysed_fps = 0.0
        cam.skipped_frames = 0
        cam.updated_at = now
    session.flush()
