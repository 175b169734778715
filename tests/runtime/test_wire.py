"""Worker messages between hosts name and carry only their own camera's files: a node cannot
plant a photo in another camera's folder, point a read at one, or index another's video."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cameras.messages import SegmentMessage
from rtcc.clock import FakeClock
from rtcc.runtime.wire import WireError, encode, message_id, unpack
from tests.support.reads import T0, read

from .test_ingest_consumer import _consumer

JPEG = b"\xff\xd8\xff\xe0fake"


def _own(cam: str) -> tuple[str, str]:
    base = f"media/reads/{cam}/2026-03-01/trk-1"
    return f"{base}-snap.jpg", f"{base}-crop.jpg"


def test_a_read_with_its_own_photos_passes() -> None:
    msg = read(1)
    snap, crop = _own(msg.camera_id)
    msg = replace(msg, snapshot_path=snap, crop_path=crop)
    got, media = unpack(encode(msg, media={snap: JPEG, crop: JPEG}))
    assert got == msg and media == {snap: JPEG, crop: JPEG}


@pytest.mark.parametrize(
    "snap, carried",
    [
        ("media/reads/OTHER/2026-03-01/x-snap.jpg", None),  # pointed at another camera's photo
        (None, "media/reads/OTHER/2026-03-01/x-snap.jpg"),  # a photo planted in another folder
        ("media/reads/{cam}/../OTHER/x-snap.jpg", None),  # out of its folder by ..
        ("media/reads/{cam}", None),  # the folder itself
        ("media/reads/{cam}-evil/x-snap.jpg", None),  # a look-alike folder
    ],
)
def test_a_read_naming_files_outside_its_camera_folder_is_refused(
    snap: str | None, carried: str | None
) -> None:
    msg = read(1)
    snap = snap.format(cam=msg.camera_id) if snap else None
    msg = replace(msg, snapshot_path=snap)
    media = {carried: JPEG} if carried else ({snap: JPEG} if snap else {})
    with pytest.raises(WireError):
        unpack(encode(msg, media=media))


def test_a_segment_outside_its_camera_folder_is_refused() -> None:
    seg = SegmentMessage("cam-a", T0, T0 + timedelta(seconds=60),
                         "video/cam-a/2026-03-01/120000_000000Z.mp4", 1000)
    assert unpack(encode(seg))[0] == seg
    with pytest.raises(WireError):
        unpack(encode(replace(seg, path="video/cam-b/2026-03-01/120000_000000Z.mp4")))


def test_the_ingest_refuses_a_planted_photo_and_writes_nothing(
    make_settings: Any, db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    svc, consumer = _consumer(make_settings, db_url, clock)
    try:
        msg = read(1)
        planted = "media/reads/cam-zzz/2026-03-01/trk-9-snap.jpg"
        with pytest.raises(WireError):
            consumer.handle(encode(msg, media={planted: JPEG}), message_id(msg))
        assert not (svc.settings.data_dir / planted).exists()
        assert consumer.stored == 0
    finally:
        svc.engine.dispose()
