"""Hotlist test data: cameras, stored reads, worker read messages and imported lists."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from cameras.messages import ReadMessage
from hotlist.importer import parse_text
from rtcc.audit import SYSTEM
from rtcc.db import transaction
from rtcc.models import Camera, PlateRead
from rtcc.plates import PlateReadRecord
from rtcc.runtime.hotlists import ImportResult, import_hotlist
from rtcc.runtime.services import Services
from rtcc.vocab import ReadStatus

_tracks = itertools.count(1)


def add_camera(services: Services, camera_id: str = "cam1") -> None:
    now = services.clock.now()
    with transaction(services.sessions) as session:
        if session.get(Camera, camera_id) is None:
            session.add(Camera(id=camera_id, name=camera_id, created_at=now, updated_at=now))


def add_read(
    services: Services,
    plate: str,
    *,
    at: datetime | None = None,
    camera_id: str = "cam1",
    region: str | None = None,
) -> int:
    add_camera(services, camera_id)
    at = at or services.clock.now()
    with transaction(services.sessions) as session:
        read = PlateRead(
            camera_id=camera_id,
            track_key=f"t{next(_tracks)}",
            plate=plate,
            confidence=0.95,
            char_confidences=[0.95] * len(plate),
            region=region,
            observed_at=at,
            last_seen_at=at + timedelta(seconds=1),
            crop_path="media/c.jpg",
            snapshot_path="media/s.jpg",
            created_at=at,
            updated_at=at,
        )
        session.add(read)
        session.flush()
        return read.id


def read_message(
    services: Services,
    plate: str,
    *,
    track: str | None = None,
    camera_id: str = "cam1",
    conf: float = 0.97,
    region: str | None = None,
) -> ReadMessage:
    add_camera(services, camera_id)
    now = services.clock.now()
    record = PlateReadRecord(
        track_key=track or f"t{next(_tracks)}",
        status=ReadStatus.FINAL,
        plate=plate,
        confidence=conf,
        char_confidences=tuple([conf] * len(plate)),
        char_alternatives=tuple(((ch, conf),) for ch in plate),
        alternatives=(),
        region=region,
        format_ok=True,
        frames=3,
        first_seen=now,
        last_seen=now,
        box=(1, 2, 3, 4),
    )
    return ReadMessage(camera_id, record, "media/cam1/s.jpg", "media/cam1/c.jpg")


def import_csv(services: Services, name: str, text: str, **kw: Any) -> ImportResult:
    return import_hotlist(
        services, name=name, imported=parse_text(text, format="csv"), actor=SYSTEM, **kw
    )
