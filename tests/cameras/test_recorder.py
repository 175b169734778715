"""Stream-copy recording and crash recovery on real H.264 files (no models needed)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from cameras.messages import SegmentMessage
from cameras.recorder import PARTIAL, SegmentRecorder, recover
from cameras.sources import AvSource
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings


@pytest.fixture
def h264(tmp_path: Path) -> Path:
    path = tmp_path / "in.mp4"
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        s.options = {"g": "10", "bf": "0", "preset": "ultrafast"}
        for i in range(70):
            img = np.full((240, 320, 3), (i * 3) % 255, np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def _record(src: Path, data: Path, seconds: int, *, close: bool = True) -> list[SegmentMessage]:
    got: list[SegmentMessage] = []
    cam = CameraSettings(id="c", url=str(src), loop=False, realtime=False)
    source = AvSource(cam, SystemClock(), wait=lambda s: False)
    source.open()
    rec = SegmentRecorder(camera_id="c", data_dir=data, segment_s=seconds, emit=got.append)
    for packet in source.packets():
        source.decode(packet)
        stamp = source.packet_time(packet)
        if stamp:
            rec.write(packet, source.stream, *stamp)
    if close:
        rec.close(0.1)
    source.close()
    return got


def _packets(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(c.streams.video[0]) if p.size)


def test_segments_are_cut_on_keyframes_and_readable(h264: Path, tmp_path: Path) -> None:
    segs = _record(h264, tmp_path / "data", 2)
    assert len(segs) == 4  # 7 s of video in 2 s pieces
    assert sum(_packets(tmp_path / "data" / s.path) for s in segs) == 70
    for s in segs:
        assert s.path.startswith("video/c/") and s.path.endswith("Z.mp4")
        assert (tmp_path / "data" / s.path).stat().st_size == s.bytes
    assert [round((s.end_at - s.start_at).total_seconds(), 1) for s in segs] == [2, 2, 2, 1]
    assert not list((tmp_path / "data").rglob(f"*{PARTIAL}"))


def test_recover_finalizes_a_cut_off_segment_and_deletes_garbage(h264: Path,
                                                                 tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _record(h264, data, 60, close=False) == []  # the "crash": never closed
    partial = next(data.rglob(f"*{PARTIAL}"))
    partial.write_bytes(partial.read_bytes()[: partial.stat().st_size * 2 // 3])
    junk = partial.with_name("000000_000000Z" + PARTIAL)
    junk.write_bytes(b"\x00" * 500)
    got: list[SegmentMessage] = []
    assert recover(camera_id="c", data_dir=data, emit=got.append) == 1
    assert not junk.exists() and not list(data.rglob(f"*{PARTIAL}"))
    [seg] = got
    assert 10 <= _packets(data / seg.path) < 70 and seg.end_at > seg.start_at
