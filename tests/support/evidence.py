"""Real recordings for evidence tests: an H.264 clip recorded into segments by the product's own
recorder (stream copy), indexed like ingest does, with a read and a hit in the middle. The
fixtures that use them are in ``tests/rtcc/evidence/conftest.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import cv2
import numpy as np

from cameras.messages import SegmentMessage
from cameras.recorder import SegmentRecorder
from cameras.sources import AvSource
from rtcc.clock import FakeClock
from rtcc.config import CameraSettings
from rtcc.db import transaction
from rtcc.models import Camera, Hit, HitEvent, Hotlist, HotlistEntry, PlateRead, VideoSegment
from rtcc.runtime.services import Services

FPS = 10
SECONDS = 20
SEGMENT_S = 6
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the services fixture's FakeClock start


def write_h264_clip(path: Path) -> Path:
    """20 s of 320x240 H.264 at 10 fps, a keyframe every 2 s, a moving box and a counter."""
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        s.options = {"g": str(2 * FPS), "bf": "0", "preset": "ultrafast"}
        for i in range(SECONDS * FPS):
            img = np.full((240, 320, 3), (40, 60, 80), np.uint8)
            x = (i * 7) % 280
            img[100:140, x : x + 40] = (0, 200, 255)
            cv2.putText(img, str(i), (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def record(clip: Path, data_dir: Path, clock: FakeClock, cam_id: str) -> list[SegmentMessage]:
    """Run the product's recorder over the clip (capture times from ``clock``)."""
    got: list[SegmentMessage] = []
    cam = CameraSettings(id=cam_id, url=str(clip), loop=False, realtime=False)
    source = AvSource(cam, clock, wait=lambda s: False)
    source.open()
    rec = SegmentRecorder(camera_id=cam_id, data_dir=data_dir, segment_s=SEGMENT_S,
                          emit=got.append)
    for packet in source.packets():
        source.decode(packet)
        stamp = source.packet_time(packet)
        if stamp:
            rec.write(packet, source.stream, *stamp)
    rec.close(1 / FPS)
    source.close()
    return got


def _jpeg(path: Path, seed: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.full((60, 120, 3), seed % 255, np.uint8)
    cv2.imwrite(str(path), img)
    return path.as_posix()


@dataclass
class Recorded:
    camera_id: str
    segments: list[int]
    read_id: int
    hit_id: int
    other_read_id: int  # outside the window


def index(services: Services, msgs: list[SegmentMessage], cam_id: str) -> list[int]:
    now = services.clock.now()
    with transaction(services.sessions) as s:
        if s.get(Camera, cam_id) is None:
            s.add(Camera(id=cam_id, name=f"Camera {cam_id}", created_at=now, updated_at=now))
            s.flush()
        rows = [VideoSegment(camera_id=m.camera_id, start_at=m.start_at, end_at=m.end_at,
                             path=m.path, bytes=m.bytes, created_at=m.end_at) for m in msgs]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def add_read(services: Services, cam_id: str, at: datetime, plate: str) -> int:
    data = services.settings.data_dir
    rel = f"media/reads/{cam_id}/{at:%Y-%m-%d}/{at:%H%M%S}-{plate}"
    _jpeg(data / f"{rel}-snap.jpg", at.second)
    _jpeg(data / f"{rel}-crop.jpg", at.second + 50)
    with transaction(services.sessions) as s:
        row = PlateRead(camera_id=cam_id, track_key=f"{at:%H%M%S}-{plate}", plate=plate,
                        confidence=0.93, observed_at=at, last_seen_at=at + timedelta(seconds=1),
                        snapshot_path=f"{rel}-snap.jpg", crop_path=f"{rel}-crop.jpg",
                        created_at=at, updated_at=at)
        s.add(row)
        s.flush()
        return row.id


def make_recorded(services: Services, clip: Path) -> Recorded:
    """Camera ``cam1`` recorded 12:00:00-12:00:20 in 6 s segments; a hit at 12:00:08."""
    assert isinstance(services.clock, FakeClock) and services.clock.now() == T0
    msgs = record(clip, services.settings.data_dir, services.clock, "cam1")
    assert len(msgs) == 4
    seg_ids = index(services, msgs, "cam1")
    read_id = add_read(services, "cam1", T0 + timedelta(seconds=8), "LS15EBC")
    other = add_read(services, "cam1", T0 + timedelta(seconds=19), "AB12CDE")
    with transaction(services.sessions) as s:
        read = s.get(PlateRead, read_id)
        assert read is not None
        now = services.clock.now()
        hotlist = Hotlist(name="stolen", kind="stolen_vehicle", priority=90, created_at=now,
                          updated_at=now)
        s.add(hotlist)
        s.flush()
        entry = HotlistEntry(hotlist_id=hotlist.id, plate=read.plate, reason="stolen vehicle",
                             case_number="CASE-2026-0042", added_at=now)
        s.add(entry)
        s.flush()
        hit = Hit(read_id=read_id, entry_id=entry.id, hotlist_id=hotlist.id, camera_id="cam1",
                  plate=read.plate, entry_plate=read.plate, hotlist_name="stolen",
                  reason="stolen vehicle", priority=90,
                  status="confirmed", status_by="olivia", status_at=read.observed_at,
                  observed_at=read.observed_at, last_seen_at=read.last_seen_at,
                  created_at=read.observed_at, updated_at=read.observed_at)
        s.add(hit)
        s.flush()
        s.add(HitEvent(hit_id=hit.id, at=read.observed_at, username="olivia",
                       action="confirm", from_status="new", to_status="confirmed",
                       note="plate matches"))
        hit_id = hit.id
    services.clock.advance(300)  # now 12:05: the window is in the past
    return Recorded("cam1", seg_ids, read_id, hit_id, other)
