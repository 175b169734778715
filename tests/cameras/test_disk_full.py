"""A camera worker on a full disk (a real tmpfs, a real worker process): it keeps running and
keeps sending its reads (without photos), says "disk full" as the camera's error, leaves no
empty, temporary or cut-off file behind, and resumes photos and recording by itself once space
is freed. An image that cannot replace the last one leaves that one whole, and a crashed
worker's partial segment is kept (not deleted as unreadable) while there is no room to
recover it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from cameras.media import MediaStore, live_frame_path
from cameras.messages import ReadMessage, SegmentMessage, StatusMessage
from cameras.recorder import PARTIAL, recover
from tests.support import tinyfs
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import CameraRuns, Collector, state_is

SCRIPT = ScriptedFactory((Reading(1.0, 2.0, "DSK123"),))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """4 s at 10 fps, a plate crossing at 1.0-2.0 s: looped, one read every 4 s."""
    return write_clip(tmp_path_factory.mktemp("clip") / "pass.mp4", seconds=4, passes=[(1.0, 2.0)])


@pytest.fixture
def disk() -> Iterator[Path]:
    with tinyfs.tmpfs(16) as mount:
        yield mount


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _finals(got: Collector, since: int) -> list[ReadMessage]:
    return [r for r in got.reads("gate", since=since) if r.record.status == "final"]


def _wait_finals(got: Collector, count: int, since: int, timeout: float) -> list[ReadMessage]:
    got.wait_for(
        lambda m: len(_finals(got, since)) >= count, timeout, f"{count} final reads", since=since
    )
    return _finals(got, since)


def test_a_full_disk_keeps_the_worker_and_its_reads_and_recovers_by_itself(
    clip: Clip, disk: Path
) -> None:
    data = disk / "data"
    filler = tinyfs.fill(disk)
    with CameraRuns(data) as runs:
        sup, got = runs.start(
            [
                {
                    "id": "gate",
                    "url": str(clip.path),
                    "loop": True,
                    "realtime": True,
                    "detect_fps": 5,
                    "record": True,
                    "segment_seconds": 2,
                }
            ],
            recognizer=SCRIPT,
        )
        pid = sup.pids()["gate"]
        full = got.wait_for(state_is("gate", "error"), 60, "the disk-full error")
        assert full.message is not None and "disk full" in full.message, full.message
        # reads go on, without photos: hotlist matching still sees every plate
        lost = _wait_finals(got, 2, 0, 30)
        assert all(r.record.plate == "DSK123" for r in lost)
        assert all(r.snapshot_path is None and r.crop_path is None for r in lost)
        assert sup.restarts("gate") == 0 and sup.pids()["gate"] == pid  # never crashed
        assert not [m for m in got.messages if isinstance(m, SegmentMessage)]
        assert _files(data) == []  # no empty photo, temp file or cut-off segment

        filler.unlink()  # space is freed: everything resumes without a restart
        mark = got.mark()
        back = got.wait_for(state_is("gate", "online"), 40, "online again", since=mark)
        assert back.message is None
        seg = got.wait_for(lambda m: isinstance(m, SegmentMessage), 30, "a segment", since=mark)
        assert (data / seg.path).stat().st_size == seg.bytes > 0
        read = _wait_finals(got, 1, mark, 30)[0]
        assert read.snapshot_path and read.crop_path
        for rel in (read.snapshot_path, read.crop_path):
            assert cv2.imread(str(data / rel)) is not None, rel
        assert cv2.imread(str(data / "live" / "gate.jpg")) is not None
        assert sup.restarts("gate") == 0 and sup.pids()["gate"] == pid
        since = next(i for i, m in enumerate(got.messages) if m is back)
        errors = [
            m
            for m in got.messages[since:]
            if isinstance(m, StatusMessage) and m.camera_id == "gate" and m.state == "error"
        ]
        assert not errors, errors  # recovered once, no flapping
    assert not [p for p in _files(data) if p.name.startswith(".") or ".partial" in p.name]


def _noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (360, 640, 3), np.uint8)


def test_an_image_the_full_disk_refuses_leaves_the_last_one_whole_and_no_temp_file() -> None:
    with tinyfs.tmpfs(1) as disk:
        media = MediaStore(disk, "gate")
        assert media.live(_noise(1)) and media.error is None
        live = live_frame_path(disk, "gate")
        before = live.read_bytes()
        filler = tinyfs.fill(disk)
        assert not media.live(_noise(2))  # noise: far bigger than what is left
        assert media.save("media/reads/gate/snap.jpg", _noise(3)) is None
        assert media.error is not None and "disk full" in media.error
        assert live.read_bytes() == before  # the previous frame is untouched
        assert {p.name for p in _files(disk)} == {"gate.jpg", filler.name}
        filler.unlink()
        assert media.save("media/reads/gate/snap.jpg", _noise(3)) == "media/reads/gate/snap.jpg"
        assert media.error is None
        assert cv2.imread(str(disk / "media/reads/gate/snap.jpg")) is not None


def test_a_partial_segment_is_kept_while_there_is_no_room_to_recover_it(clip: Clip) -> None:
    with tinyfs.tmpfs(2) as disk:
        partial = disk / "video" / "gate" / "2026-01-02" / f"030405_000000Z{PARTIAL}"
        partial.parent.mkdir(parents=True)
        partial.write_bytes(clip.path.read_bytes())  # what a crashed worker left
        got: list[SegmentMessage] = []
        filler = tinyfs.fill(disk)
        assert recover(camera_id="gate", data_dir=disk, emit=got.append) == 0
        assert partial.read_bytes() == clip.path.read_bytes() and not got
        assert {p.name for p in _files(disk)} == {partial.name, filler.name}  # no temp file
        filler.unlink()
        assert recover(camera_id="gate", data_dir=disk, emit=got.append) == 1
        assert [m.path for m in got] == ["video/gate/2026-01-02/030405_000000Z.mp4"]
        assert _files(disk) == [disk / got[0].path]
