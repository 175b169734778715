"""Test data for retention: a camera, reads with JPEG files, video segments, hits, statuses."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy.orm import Session

from rtcc.models import Camera, CameraStatus, Hit, PlateRead, VideoSegment

_seq = count(1)


def camera(session: Session, now: datetime, cam_id: str = "cam1") -> Camera:
    cam = session.get(Camera, cam_id)
    if cam is None:
        cam = Camera(id=cam_id, name=cam_id, created_at=now, updated_at=now)
        session.add(cam)
        session.flush()
    return cam


def _write(data_dir: Path, rel: str, size: int) -> None:
    path = data_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff" * size)


def read(
    session: Session,
    data_dir: Path,
    at: datetime,
    *,
    plate: str = "ABC123",
    cam_id: str = "cam1",
    files: bool = True,
) -> PlateRead:
    camera(session, at, cam_id)
    key = f"t{next(_seq)}-{plate}"
    snap = f"media/reads/{cam_id}/{at:%Y-%m-%d}/{key}-snap.jpg"
    crop = f"media/reads/{cam_id}/{at:%Y-%m-%d}/{key}-crop.jpg"
    if files:
        _write(data_dir, snap, 100)
        _write(data_dir, crop, 10)
    row = PlateRead(
        camera_id=cam_id,
        track_key=key,
        plate=plate,
        confidence=0.9,
        observed_at=at,
        last_seen_at=at + timedelta(seconds=2),
        snapshot_path=snap if files else None,
        crop_path=crop if files else None,
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    return row


def segment(
    session: Session, data_dir: Path, end_at: datetime, cam_id: str = "cam1"
) -> VideoSegment:
    camera(session, end_at, cam_id)
    rel = f"video/{cam_id}/{end_at:%Y-%m-%d}/{next(_seq)}.mp4"
    _write(data_dir, rel, 1000)
    row = VideoSegment(
        camera_id=cam_id,
        start_at=end_at - timedelta(seconds=60),
        end_at=end_at,
        path=rel,
        bytes=1000,
        created_at=end_at,
    )
    session.add(row)
    session.flush()
    return row


def hit(session: Session, read_row: PlateRead) -> Hit:
    row = Hit(
        read_id=read_row.id,
        camera_id=read_row.camera_id,
        plate=read_row.plate,
        entry_plate=read_row.plate,
        hotlist_name="stolen",
        observed_at=read_row.observed_at,
        last_seen_at=read_row.last_seen_at,
        created_at=read_row.observed_at,
        updated_at=read_row.observed_at,
    )
    session.add(row)
    session.flush()
    return row


def status(session: Session, at: datetime, cam_id: str = "cam1") -> CameraStatus:
    camera(session, at, cam_id)
    row = CameraStatus(camera_id=cam_id, state="online", at=at)
    session.add(row)
    session.flush()
    return row
