"""Cut one camera's recording for exactly a time window, by stream copy (no re-encoding).

Segments are the recorder's fragmented MP4 files; a packet's wall-clock time is the segment's
``start_at`` plus its media time. Stream copy can only begin on a keyframe, so the packets from
the last keyframe before the window are written too, with negative timestamps: the MP4 muxer
turns them into an edit list, and players (and ffprobe) start exactly at the window's start
while the decoder still gets its reference frame. Packets at or after the window's end are not
written. Output is a plain (non-fragmented) MP4 with the index in front, byte-for-byte the
same for the same segments and window (``+bitexact``: no encoder version or creation time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from rtcc.errors import RtccError

OUT_OPTIONS = {"movflags": "+faststart", "fflags": "+bitexact"}
GAP_TOLERANCE = timedelta(seconds=0.5)  # shorter breaks between segments are capture jitter


class ClipError(RtccError):
    """A segment could not be read or the clip could not be written."""

    status_code = 500
    code = "clip_failed"


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """The export was cancelled while cutting."""


@dataclass(frozen=True)
class Source:
    """A recorded segment to cut from (plain data: no ORM object)."""

    segment_id: int
    path: Path
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class Gap:
    start_at: datetime
    end_at: datetime

    @property
    def seconds(self) -> float:
        return (self.end_at - self.start_at).total_seconds()


@dataclass(frozen=True)
class ClipResult:
    packets: int  # written, including the pre-roll before the window
    frames_in_window: int
    first_at: datetime | None  # first frame shown (inside the window)
    last_at: datetime | None


def find_gaps(
    sources: Iterable[Source], start: datetime, end: datetime, tolerance: timedelta = GAP_TOLERANCE
) -> list[Gap]:
    """Parts of ``[start, end)`` that no segment covers (breaks under ``tolerance`` ignored)."""
    gaps: list[Gap] = []
    covered_to = start
    for src in sorted(sources, key=lambda s: s.start_at):
        if src.end_at <= covered_to or src.start_at >= end:
            continue
        if src.start_at - covered_to > tolerance:
            gaps.append(Gap(covered_to, src.start_at))
        covered_to = max(covered_to, src.end_at)
    if end - covered_to > tolerance:
        gaps.append(Gap(covered_to, end))
    return gaps


class _Writer:
    """The output container, opened on the first packet (its stream copies the first input's)."""

    def __init__(self, dst: Path) -> None:
        self.dst = dst
        self.out: Any = None
        self.stream: Any = None
        self.packets = 0
        self.last_dts_s: float | None = None

    def mux(self, packet: Any, template: Any) -> None:
        if self.out is None:
            self.out = av.open(str(self.dst), "w", format="mp4", options=OUT_OPTIONS)
            self.stream = self.out.add_stream_from_template(template)
        dts = packet.dts if packet.dts is not None else packet.pts
        dts_s = float(dts * packet.time_base)
        if self.last_dts_s is not None and dts_s <= self.last_dts_s:
            return  # overlapping segments: one timeline, decode times must grow
        packet.stream = self.stream
        self.out.mux(packet)
        self.last_dts_s = dts_s
        self.packets += 1

    def close(self) -> None:
        if self.out is not None:
            self.out.close()


def cut(
    sources: Sequence[Source],
    start: datetime,
    end: datetime,
    dst: Path,
    *,
    cancelled: Callable[[], bool] = lambda: False,
) -> ClipResult:
    """Write ``dst`` with the frames of ``[start, end)`` from ``sources`` (sorted by start)."""
    writer = _Writer(dst)
    shown = 0
    first: datetime | None = None
    last: datetime | None = None
    try:
        for src in sorted(sources, key=lambda s: s.start_at):
            if src.end_at <= start or src.start_at >= end:
                continue
            if cancelled():
                raise Cancelled()
            for at in _copy_segment(src, start, end, writer):
                shown += 1
                first = first or at
                last = at
    except av.error.FFmpegError as exc:
        raise ClipError(f"cannot cut the recording: {exc}") from exc
    finally:
        writer.close()
    return ClipResult(writer.packets, shown, first, last)


def _copy_segment(
    src: Source, start: datetime, end: datetime, writer: _Writer
) -> Iterable[datetime]:
    """Copy one segment's packets of the window (plus the pre-roll); yield each shown frame time."""
    window_s = (end - start).total_seconds()
    offset_s = (src.start_at - start).total_seconds()  # segment start on the output timeline
    with av.open(str(src.path)) as inp:
        stream = inp.streams.video[0]
        tb = stream.time_base
        if tb is None:
            raise ClipError(f"segment {src.segment_id}: video stream without a time base")
        shift = round(Fraction(offset_s).limit_denominator(1_000_000) / tb)
        preroll: list[Any] = []
        for packet in inp.demux(stream):
            if packet.pts is None or packet.size == 0:
                continue
            t = offset_s + float(packet.pts * tb)
            if t >= window_s:
                break
            packet.pts += shift
            if packet.dts is not None:
                packet.dts += shift
            if t < 0:  # before the window: keep from the last keyframe on, for decoding
                if packet.is_keyframe:
                    preroll = []
                preroll.append(packet)
                continue
            for early in preroll:
                writer.mux(early, stream)
            preroll = []
            writer.mux(packet, stream)
            yield start + timedelta(seconds=t)
