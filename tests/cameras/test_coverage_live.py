"""Pure pieces of recording coverage and the live muxer: gaps between segments, MP4 box cutting,
and the muxer's fan-out on a real H.264 file (init segment + fragments, nothing decoded)."""

from __future__ import annotations

import struct
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av

from cameras.coverage import Span, gaps
from cameras.live import FragmentCutter, LiveHub
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings
from tests.support.clips import write_clip

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def test_gaps_are_the_uncovered_stretches_with_the_reason_of_the_segment_after_them() -> None:
    segs = [Span(at(10), at(20)), Span(at(20.05), at(30)), Span(at(45), at(50), "timed out")]
    found = gaps(segs, at(0), at(60))
    assert [(g.start, g.end, g.reason) for g in found] == [
        (at(0), at(10), None), (at(30), at(45), "timed out"), (at(50), at(60), None)]
    assert gaps(segs, at(12), at(29)) == []  # the 0.05 s cut between two segments is no gap
    assert gaps([], at(0), at(5)) == [Span(at(0), at(5))]


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_fragment_cutter_cuts_init_and_fragments_in_any_chunking() -> None:
    init = _box(b"ftyp", b"isom") + _box(b"moov", b"x" * 50)
    frags = [_box(b"moof", bytes([i]) * 9) + _box(b"mdat", bytes([i]) * (100 * i + 1))
             for i in range(3)]
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + 20) + b"L" * 20  # a 64-bit box size
    frags.append(_box(b"moof", b"q") + large)
    stream = init + b"".join(frags)
    for size in (1, 7, 64, len(stream)):
        cutter = FragmentCutter()
        units = []
        for i in range(0, len(stream), size):
            units += cutter.feed(stream[i:i + size])
        assert units == [("init", init)] + [("fragment", f) for f in frags]


def test_one_muxer_fans_out_playable_fragmented_mp4_to_every_viewer(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", seconds=2, passes=[(0.5, 1.5)])
    hub = LiveHub(SystemClock(), linger_s=0.5)
    cam = CameraSettings(id="c", url=str(clip.path))  # loops at real-time pace
    first: list[bytes | None] = []
    second: list[bytes | None] = []
    leave_first = hub.subscribe(cam, "main", first.append)
    time.sleep(1.5)
    leave_second = hub.subscribe(cam, "detect", second.append)  # no substream: the same demux
    time.sleep(2.5)
    [muxer] = hub.muxers()
    assert muxer.viewers == 2 and muxer.stats.frames_decoded == 0
    leave_first()
    leave_second()
    for got in (first, second):
        data = b"".join(g for g in got if g)
        assert data[4:8] == b"ftyp"  # a late viewer also starts with the init segment
        out = tmp_path / "live.mp4"
        out.write_bytes(data)
        with av.open(str(out)) as c:
            frames = [f for f in c.decode(video=0)]
        assert len(frames) >= 10 and frames[0].key_frame  # starts on a keyframe, decodes
        assert (frames[0].width, frames[0].height) == (640, 360)
    deadline = time.monotonic() + 5
    while hub.muxers():  # no viewer: the demux stops by itself
        assert time.monotonic() < deadline
        time.sleep(0.1)
