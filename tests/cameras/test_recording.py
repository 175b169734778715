"""Recording that is right, on real worker processes: segments of a looping file hold the media
time they claim, a record-only camera is never decoded, a killed RTSP server leaves a recorded
gap (not a corrupt segment), and a full disk stops recording with a clear camera error."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from cameras.messages import SegmentMessage, StatusMessage
from cameras.recorder import PARTIAL, SegmentRecorder
from cameras.sources import AvSource
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings
from tests.support import tinyfs
from tests.support.clips import Clip, write_clip
from tests.support.rtsp import RtspServer
from tests.support.scripted import ScriptedFactory
from tests.support.workers import CameraRuns, state_is

SEGMENT_S = 4


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """2.5 s at 10 fps: a camera on it loops many times within one segment."""
    return write_clip(tmp_path_factory.mktemp("loop") / "short.mp4", seconds=2.5, passes=[])


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def ffprobe_seconds(path: Path) -> float:
    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe not installed")
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
         "stream=nb_read_packets,avg_frame_rate:format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return float(json.loads(out.stdout)["format"]["duration"])


def _segments(messages: list[object], cam: str) -> list[SegmentMessage]:
    return [m for m in messages if isinstance(m, SegmentMessage) and m.camera_id == cam]


def _wait_segments(collector, cam: str, count: int, timeout: float) -> list[SegmentMessage]:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while len(_segments(collector.messages, cam)) < count:
        assert time.monotonic() < end, f"fewer than {count} segments of {cam} in {timeout} s"
        collector.pump(0.3)
    return _segments(collector.messages, cam)


def test_a_looping_file_records_segments_as_long_as_the_wall_time_they_claim(
    runs: CameraRuns, short_clip: Clip, tmp_path: Path
) -> None:
    _, got = runs.start([{"id": "loop", "url": str(short_clip.path), "loop": True,
                          "realtime": True, "lpr": False, "segment_seconds": SEGMENT_S}])
    began = time.monotonic()
    segs = _wait_segments(got, "loop", 3, timeout=40)
    wall = time.monotonic() - began
    data = tmp_path / "data"
    for seg in segs:
        claimed = (seg.end_at - seg.start_at).total_seconds()
        media = ffprobe_seconds(data / seg.path)
        assert claimed >= SEGMENT_S - 0.05
        assert abs(media - claimed) <= 0.05 * claimed, (seg.path, media, claimed)
    for a, b in zip(segs, segs[1:], strict=False):  # contiguous: no hole between segments
        assert abs((b.start_at - a.end_at).total_seconds()) < 0.15
        assert b.gap_before_s == 0.0
    recorded = sum((s.end_at - s.start_at).total_seconds() for s in segs[:3])
    assert recorded <= wall + 0.5  # real time, not faster: the claim is wall time


def test_a_record_only_camera_decodes_nothing(runs: CameraRuns, short_clip: Clip) -> None:
    _, got = runs.start(
        [{"id": "plain", "url": str(short_clip.path), "lpr": False, "segment_seconds": 2},
         {"id": "lpr", "url": str(short_clip.path), "lpr": True, "segment_seconds": 2}],
        recognizer=ScriptedFactory(()),
    )
    _wait_segments(got, "plain", 2, timeout=30)
    status = got.wait_for(lambda m: isinstance(m, StatusMessage) and m.camera_id == "plain"
                          and m.input_fps > 5, 15, "a record-only camera counting its input")
    assert status.state == "online" and status.decoded_frames == 0
    assert status.last_frame_at is not None
    decoding = got.wait_for(lambda m: isinstance(m, StatusMessage) and m.camera_id == "lpr"
                            and m.decoded_frames > 10, 15, "the plate camera decoding")
    assert decoding.input_fps > 5
    plain = [m for m in got.messages if isinstance(m, StatusMessage) and m.camera_id == "plain"]
    assert all(m.decoded_frames == 0 for m in plain)


def test_killing_the_rtsp_server_leaves_a_recorded_gap_not_a_corrupt_segment(
    runs: CameraRuns, rtsp_server: RtspServer, tmp_path: Path
) -> None:
    _, got = runs.start([{"id": "rtsp", "url": rtsp_server.url(), "lpr": False,
                          "segment_seconds": 3}])
    first = _wait_segments(got, "rtsp", 1, timeout=30)
    rtsp_server.kill()
    got.wait_for(state_is("rtsp", "offline", "error"), 20, "the camera going offline")
    time.sleep(2)
    rtsp_server.start()
    mark = len(first)
    end = time.monotonic() + 40
    while True:
        segs = _segments(got.messages, "rtsp")
        after = [s for s in segs[mark:] if s.gap_before_s > 0]
        if after:
            break
        assert time.monotonic() < end, f"no segment after the gap: {segs}"
        got.pump(0.3)
    gap = after[0]
    assert gap.gap_before_s >= 2 and gap.gap_reason
    data = tmp_path / "data"
    for seg in segs:  # every announced segment is whole and as long as it claims
        claimed = (seg.end_at - seg.start_at).total_seconds()
        assert abs(ffprobe_seconds(data / seg.path) - claimed) <= max(0.05 * claimed, 0.15)
    before = [s for s in segs if s.start_at < gap.start_at][-1]
    hole = (gap.start_at - before.end_at).total_seconds()
    assert abs(hole - gap.gap_before_s) < 0.01  # the gap is exactly the missing time


def _noise_clip(path: Path) -> Path:
    """Random noise compresses badly: a few seconds fill the tiny disk."""
    rng = np.random.default_rng(7)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"g": "10", "bf": "0", "preset": "ultrafast", "crf": "18"}
        for _ in range(60):
            img = rng.integers(0, 255, (240, 320, 3), np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))
    return path


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A real 1 MiB filesystem (tmpfs) that fills up; skipped where mounting is not allowed."""
    with tinyfs.tmpfs(1) as mount:
        yield mount


def test_a_full_disk_stops_recording_with_a_clear_error_and_indexes_nothing_corrupt(
    tiny_disk: Path, tmp_path: Path
) -> None:
    noisy = _noise_clip(tmp_path / "noise.mp4")
    got: list[SegmentMessage] = []
    cam = CameraSettings(id="c", url=str(noisy), loop=False, realtime=False)
    source = AvSource(cam, SystemClock(), wait=lambda s: False)
    source.open()
    rec = SegmentRecorder(camera_id="c", data_dir=tiny_disk, segment_s=2, emit=got.append)
    for packet in source.packets():
        stamp = source.packet_time(packet)
        if stamp:
            rec.write(packet, source.stream, *stamp)
        if rec.error:
            break
    source.close()
    rec.close()
    assert rec.error is not None and "disk full" in rec.error
    assert not list(tiny_disk.rglob(f"*{PARTIAL}"))  # the cut segment is gone
    for seg in got:  # what was announced before the disk filled is whole
        with av.open(str(tiny_disk / seg.path)) as c:
            assert sum(1 for p in c.demux(c.streams.video[0]) if p.size) > 0
    # recording resumes by itself once the retry time has passed and space is free again
    for old in tiny_disk.rglob("*.mp4"):
        old.unlink()
    rec.retry_s = 0.0
    before = rec.segments
    small = write_clip(tmp_path / "small.mp4", seconds=6, passes=[])
    cam = CameraSettings(id="c", url=str(small.path), loop=False, realtime=False)
    source = AvSource(cam, SystemClock(), wait=lambda s: False)
    source.open()
    for packet in source.packets():
        stamp = source.packet_time(packet)
        if stamp:
            rec.write(packet, source.stream, *stamp)
        if rec.segments > before:
            break
    source.close()
    assert rec.segments > before
