"""Video sources through PyAV (FFmpeg): RTSP, HTTP(S) MJPEG and local files.

One class covers every source so timeouts, stream copy and error handling behave the same. A
source hands out compressed packets (for the recorder) and decodes them into frames (for the
analysis). Failures raise :class:`SourceError` whose ``state`` says whether the camera is
``offline`` (network: refused, timed out, stream ended — retried) or in ``error`` (the
configuration or the content is wrong: 401, 404, not a video, truncated file).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import av.error

from rtcc.clock import Clock
from rtcc.config import CameraSettings
from rtcc.errors import RtccError

_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s]*@")


def redact_url(text: str) -> str:
    """Hide credentials in any URL inside ``text``: ``rtsp://u:p@h/x`` → ``rtsp://***@h/x``."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", text)


class SourceError(RtccError):
    """A camera source cannot be opened or read; the message never holds credentials."""

    code = "source_error"

    def __init__(self, message: str, *, state: str = "error", **details: object) -> None:
        super().__init__(redact_url(message), **details)
        self.state = state

    def __repr__(self) -> str:
        return f"SourceError({self.message!r}, state={self.state!r})"


@dataclass(frozen=True)
class Frame:
    """A decoded frame: ``t`` is seconds of media time since the source was opened."""

    video: Any  # av.VideoFrame; converted to an array only when someone needs the pixels
    t: float
    at: datetime  # when the frame was captured (wall time, UTC)

    def bgr(self) -> Any:
        return self.video.to_ndarray(format="bgr24")


def classify(exc: BaseException, where: str) -> SourceError:
    """Turn an FFmpeg/OS failure into a clear, credential-free ``SourceError``."""
    text = redact_url(str(getattr(exc, "strerror", None) or exc))
    if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return SourceError(f"{where}: authentication failed (wrong user or password)")
    if isinstance(exc, av.error.HTTPNotFoundError):
        return SourceError(f"{where}: stream not found (check the URL path)")
    if isinstance(exc, FileNotFoundError):
        return SourceError(f"{where}: video file not found")
    if isinstance(exc, av.error.InvalidDataError):
        return SourceError(f"{where}: not a readable video ({text})")
    if isinstance(exc, ConnectionRefusedError):
        return SourceError(f"{where}: connection refused", state="offline")
    if isinstance(exc, TimeoutError | av.error.ExitError):
        return SourceError(f"{where}: timed out waiting for the camera", state="offline")
    if isinstance(exc, OSError | av.error.FFmpegError):
        return SourceError(f"{where}: {text}", state="offline")
    return SourceError(f"{where}: {type(exc).__name__}: {text}")


def _is_live(url: str) -> bool:
    return "://" in url and not url.startswith("file://")


class AvSource:
    """One camera input. ``open`` connects; ``packets`` yields demuxed video packets."""

    def __init__(
        self,
        camera: CameraSettings,
        clock: Clock,
        *,
        wait: Callable[[float], bool],
        start_offset_s: float = 0.0,
    ) -> None:
        self.camera = camera
        self.clock = clock
        self._wait = wait  # the stop flag's wait: returns True when stopping
        url = camera.url.removeprefix("file://") if camera.url.startswith("file://") else camera.url
        self.url = url
        self.live = _is_live(url)
        self.where = redact_url(url) if self.live else f"file {Path(url).name}"
        self.start_offset_s = start_offset_s
        self.container: Any = None
        self.stream: Any = None
        self.nominal_fps = 0.0
        self._t0: float | None = None  # pts (s) of the first packet of the current pass
        self._offset = 0.0  # media time already played (loops)
        self._last_t = 0.0
        self._file_end = 0.0  # furthest frame time reached in the file (not media time)
        self._start_mono = 0.0
        self._start_at = clock.now()

    def _options(self) -> dict[str, str]:
        if self.url.startswith("rtsp://") or self.url.startswith("rtsps://"):
            return {"rtsp_transport": self.camera.transport}
        return {}

    def open(self) -> None:
        if self.live and not re.match(r"^(rtsps?|https?)://", self.url):
            raise SourceError(f"{self.where}: unsupported URL scheme (use rtsp, http or a file)")
        if not self.live and not Path(self.url).is_file():
            raise SourceError(f"{self.where}: video file not found")
        opts = self._options()
        timeouts = (self.camera.connect_timeout_s, self.camera.read_timeout_s)
        try:
            self.container = av.open(self.url, options=opts, timeout=timeouts)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a SourceError
            raise classify(exc, self.where) from None
        if not self.container.streams.video:
            self.close()
            raise SourceError(f"{self.where}: no video stream")
        self.stream = self.container.streams.video[0]
        self.stream.thread_count = 1
        # MJPEG over HTTP (multipart) carries no timing: any rate FFmpeg reports is its default
        # guess (25), and an honest 15 fps camera would read as "input 15 of 25 fps", degraded.
        # Unknown is 0: the camera is judged by its own steady rate, not against a guess.
        untimed = self.container.format.name == "mpjpeg"
        rate = None if untimed else (self.stream.average_rate or self.stream.guessed_rate)
        self.nominal_fps = float(rate) if rate else 0.0
        self._t0 = None
        if self.start_offset_s > 0 and not self.live:
            self._seek(self.start_offset_s)
        self._start_mono = self.clock.monotonic()
        self._start_at = self.clock.now()

    def media_time(self, pts_s: float) -> float:
        if self._t0 is None:
            self._t0 = pts_s
        return self._offset + pts_s - self._t0

    def packets(self) -> Iterator[Any]:
        """Video packets, paced to real time for files with ``realtime``; loops files."""
        while True:
            try:
                for packet in self.container.demux(self.stream):
                    if packet.size == 0:
                        continue
                    if not self.live and self.camera.realtime and packet.pts is not None:
                        due = self.media_time(float(packet.pts * packet.time_base))
                        delay = due - (self.clock.monotonic() - self._start_mono)
                        if delay > 0 and self._wait(delay):
                            return
                    yield packet
            except Exception as exc:  # noqa: BLE001
                raise classify(exc, self.where) from None
            if self.live:
                raise SourceError(f"{self.where}: stream ended", state="offline")
            self._check_complete()
            if not self.camera.loop:
                return
            self._rewind()

    def _check_complete(self) -> None:
        """A file that ends well before its declared duration is truncated."""
        declared = self.container.duration
        if declared and self._file_end < 0.9 * declared / 1e6 - 0.5:
            raise SourceError(
                f"{self.where}: file is truncated (ends at {self._file_end:.1f} s"
                f" of {declared / 1e6:.1f} s)"
            )

    def _rewind(self) -> None:
        frame_s = 1.0 / self.nominal_fps if self.nominal_fps else 0.04
        self._offset = self._last_t + frame_s
        self._t0 = None
        self._seek(0.0)

    def _seek(self, seconds: float) -> None:
        try:
            self.container.seek(int(seconds / self.stream.time_base), stream=self.stream)
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, self.where) from None

    def packet_time(self, packet: Any) -> tuple[float, datetime] | None:
        """(media time, capture time) of a packet, for the recorder and the live muxer.

        Tracks how far the file and the media time got from packets alone, so a camera that is
        never decoded still loops with continuous timestamps and is checked for truncation."""
        if packet.pts is None:
            return None
        pts_s = float(packet.pts * packet.time_base)
        self._file_end = max(self._file_end, pts_s)
        t = self.media_time(pts_s)
        self._last_t = max(self._last_t, t)
        return t, self._at(t)

    def _at(self, t: float) -> datetime:
        return self.clock.now() if self.live else self._start_at + timedelta(seconds=t)

    def decode(self, packet: Any) -> list[Frame]:
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            return []  # one damaged packet: skip it, the stall check catches persistent damage
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, self.where) from None
        out = []
        for vf in frames:
            if vf.time is not None:
                self._file_end = max(self._file_end, float(vf.time))
            t = self.media_time(float(vf.time)) if vf.time is not None else self._last_t
            self._last_t = max(self._last_t, t)
            out.append(Frame(vf, t, self._at(t)))
        return out

    def elapsed(self) -> float:
        return self.clock.monotonic() - self._start_mono

    def close(self) -> None:
        if self.container is not None:
            with contextlib.suppress(Exception):  # closing a broken stream must not raise
                self.container.close()
            self.container = None
