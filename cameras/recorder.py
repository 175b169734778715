"""Continuous recording by stream copy (no re-encoding) into segments of ``segment_seconds``.

A segment is written as ``<HHMMSS_ffffff>Z.partial.mp4`` (fragmented MP4, so a cut-off file is
still readable up to its last fragment) under ``video/<camera>/<UTC date>/``. Segments start on
a keyframe. Only when a segment is closed is it renamed to ``…Z.mp4`` and announced with a
:class:`SegmentMessage`; the core indexes nothing else. On the next start :func:`recover`
re-muxes what is readable of a left-over partial file into a proper segment, or deletes it.

Timestamps come from the source's media time (:mod:`cameras.remux`), so a segment of a looping
file holds as much video as the wall time it claims. A pause longer than ``GAP_TOLERANCE_S``
between two segments (a reconnect) is announced as the next segment's ``gap_before_s`` with its
reason. A write failure (disk full) deletes the open segment (a cut-off file is never indexed)
and stops recording with :attr:`SegmentRecorder.error` set (the worker reports it as the
camera's error). Every ``RETRY_AFTER_FAILURE_S`` it tries again (a failed try writes nothing
that stays); the error clears when a segment has been recorded whole again, so a disk that is
still full does not make the camera flap between error and online.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av

from cameras.messages import SegmentMessage
from cameras.remux import MOVFLAGS, Restamper
from rtcc import segment_names
from rtcc.storage import is_disk_full

log = logging.getLogger(__name__)

PARTIAL = ".partial.mp4"
GAP_TOLERANCE_S = 1.0  # a longer pause between two segments is recorded as a gap
RETRY_AFTER_FAILURE_S = 10.0  # after a write failure (disk full), try again this much later


def segment_dir(data_dir: Path, camera_id: str, at: datetime) -> Path:
    return data_dir / "video" / camera_id / f"{at.astimezone(UTC):%Y-%m-%d}"


def _start_of(path: Path) -> datetime:
    return segment_names.start_of(path.as_posix())


class SegmentRecorder:
    """Write packets into segments; after an I/O failure (disk full) stop and say why."""

    def __init__(
        self,
        *,
        camera_id: str,
        data_dir: Path,
        segment_s: float,
        emit: Callable[[SegmentMessage], None],
        retry_s: float = RETRY_AFTER_FAILURE_S,
    ) -> None:
        self.camera_id = camera_id
        self.data_dir = data_dir
        self.segment_s = segment_s
        self.emit = emit
        self.retry_s = retry_s
        self._out: Any = None
        self._ostream: Any = None
        self._path: Path | None = None
        self._start_at: datetime | None = None
        self._t0 = 0.0
        self._last_t = 0.0
        self._stamp = Restamper()
        self._prev_end: datetime | None = None  # end of the last segment this process wrote
        self.gap_reason: str | None = None  # why the video stopped (the worker sets it)
        self.error: str | None = None  # set while recording is stopped by a failure
        self._failed_at: datetime | None = None
        self.segments = 0

    def write(self, packet: Any, stream: Any, t: float, at: datetime) -> None:
        """Add one demuxed packet (media time ``t``, capture time ``at``)."""
        if packet.pts is None:
            return
        if self._failed_at is not None:  # stopped by a failure
            if (at - self._failed_at).total_seconds() < self.retry_s:
                return
            self._failed_at = None  # try again (space may have been freed); error stays set
        try:
            self._write(packet, stream, t, at)
        except OSError as exc:
            self._fail(exc, at)

    def _write(self, packet: Any, stream: Any, t: float, at: datetime) -> None:
        if self._out is not None and packet.is_keyframe and t - self._t0 >= self.segment_s:
            self.close(t - self._last_t)  # the segment ends where the next one begins
        if self._out is None:
            if not packet.is_keyframe:
                return
            self._open(stream, t, at)
        if not self._stamp.apply(packet, t):
            return  # out-of-order packet: drop it rather than corrupt the file
        packet.stream = self._ostream
        self._out.mux(packet)
        self._last_t = t

    def _open(self, stream: Any, t: float, at: datetime) -> None:
        folder = segment_dir(self.data_dir, self.camera_id, at)
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / f"{at.astimezone(UTC):%H%M%S_%f}Z{PARTIAL}"
        self._out = av.open(str(self._path), "w", format="mp4", options=MOVFLAGS)
        self._ostream = self._out.add_stream_from_template(stream)
        self._start_at, self._t0, self._last_t = at, t, t
        self._stamp.reset()

    def _fail(self, exc: OSError, at: datetime) -> None:
        """Stop recording: drop the open segment (never index a file cut by the failure)."""
        out, path = self._out, self._path
        self._out = self._ostream = self._path = self._start_at = None
        with contextlib.suppress(Exception):
            if out is not None:
                out.close()
        if path is not None:
            path.unlink(missing_ok=True)
        why = "disk full" if is_disk_full(exc) else (exc.strerror or str(exc))
        error = f"recording stopped: {why} ({self.data_dir / 'video'})"
        if error != self.error:  # once, not at every retry
            log.error("camera %s: %s", self.camera_id, error)
        self.error = self.gap_reason = error
        self._failed_at = at

    def close(self, frame_s: float = 0.0) -> None:
        """Finish the open segment (if any): close, rename, announce."""
        if self._out is None or self._path is None or self._start_at is None:
            return
        out, path, start = self._out, self._path, self._start_at
        self._out = self._ostream = self._path = None
        try:
            out.close()
        except Exception as exc:  # noqa: BLE001 - a broken segment is never indexed
            log.error("camera %s: cannot close segment %s: %s", self.camera_id, path.name, exc)
            path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                self._fail(exc, start)
            return
        end = start + timedelta(seconds=max(self._last_t - self._t0 + frame_s, 0.0))
        self._finish(path, start, end)

    def _gap_before(self, start: datetime) -> tuple[float, str | None]:
        prev, self._prev_end = self._prev_end, None
        if prev is None:
            return 0.0, None
        gap = (start - prev).total_seconds()
        if gap <= GAP_TOLERANCE_S:
            return 0.0, None
        reason, self.gap_reason = self.gap_reason or "no video", None
        return gap, reason

    def _finish(self, partial: Path, start: datetime, end: datetime) -> None:
        final = partial.with_name(partial.name.replace(PARTIAL, ".mp4"))
        os.replace(partial, final)
        rel = final.relative_to(self.data_dir).as_posix()
        self.segments += 1
        gap_s, reason = self._gap_before(start)
        self._prev_end = end
        if self.error is not None:
            log.warning("camera %s: recording again", self.camera_id)
            self.error = None
        self.emit(
            SegmentMessage(
                self.camera_id,
                start,
                end,
                rel,
                final.stat().st_size,
                gap_before_s=gap_s,
                gap_reason=reason,
            )
        )


def _remux_readable(src: Path, dst: Path) -> float:
    """Copy every readable video packet of ``src`` into ``dst``; return the duration (s)."""
    first = last = None
    with av.open(str(src)) as inp:
        stream = inp.streams.video[0]
        with av.open(str(dst), "w", format="mp4", options=MOVFLAGS) as out:
            ostream = out.add_stream_from_template(stream)
            packets = inp.demux(stream)
            while True:
                try:
                    packet = next(packets)
                except (StopIteration, av.error.FFmpegError):
                    break  # the (cut-off) end of the file: keep what came before it
                if packet.pts is None or packet.size == 0:
                    continue
                t = float(packet.pts * packet.time_base)
                first = t if first is None else first
                last = t
                packet.stream = ostream
                out.mux(packet)  # a write failure (disk full) is raised, not taken for the end
    if first is None or last is None:
        raise ValueError("no video packets")
    rate = stream.average_rate
    return last - first + (1.0 / float(rate) if rate else 0.0)


def recover(*, camera_id: str, data_dir: Path, emit: Callable[[SegmentMessage], None]) -> int:
    """Finalize or delete the partial segments a crashed worker left; return how many kept."""
    root = data_dir / "video" / camera_id
    if not root.is_dir():
        return 0
    for tmp in root.glob("*/*.recover.mp4"):
        tmp.unlink(missing_ok=True)
    kept = 0
    helper = SegmentRecorder(camera_id=camera_id, data_dir=data_dir, segment_s=1, emit=emit)
    for partial in sorted(root.glob(f"*/*{PARTIAL}")):
        tmp = partial.with_name(partial.name.replace(PARTIAL, ".recover.mp4"))
        try:
            start = _start_of(partial)
            duration = _remux_readable(partial, tmp)
        except Exception as exc:  # noqa: BLE001 - unreadable: clean it up
            tmp.unlink(missing_ok=True)
            if is_disk_full(exc):  # readable video, no room to re-mux it: keep it for later
                log.error(
                    "camera %s: no space to recover partial segment %s; kept",
                    camera_id,
                    partial.name,
                )
                continue
            log.warning(
                "camera %s: deleting unreadable partial segment %s (%s)",
                camera_id,
                partial.name,
                exc,
            )
            partial.unlink(missing_ok=True)
            continue
        os.replace(tmp, partial)
        helper._finish(partial, start, start + timedelta(seconds=duration))
        kept += 1
    return kept
