"""Live video without re-encoding: one demux per camera stream, remuxed to fragmented MP4 and
fanned out to every viewer.

A :class:`LiveMuxer` is a thread that reads one camera URL (main stream or detection substream)
through :class:`cameras.sources.AvSource`, rewrites timestamps from media time
(:mod:`cameras.remux`) and stream-copies H.264 into an in-memory fragmented MP4 with one
fragment per frame (the fragment of a frame is out as soon as the next frame arrives). The byte
stream is cut into boxes: ``ftyp``+``moov`` is the init segment, each ``moof``+``mdat`` a
fragment. A new viewer gets the init segment and the fragments since the last keyframe, then
every fragment as it comes; Media Source Extensions in the browser play it. After a reconnect a
new init segment follows (the browser appends in ``sequence`` mode, so timestamps need not
continue). The muxer stops itself when it has had no viewer for ``linger_s``.

Nothing here decodes a frame: ``frames_decoded`` stays 0 (the benchmark checks it).
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av

from cameras.backoff import Backoff
from cameras.remux import Restamper
from cameras.sources import AvSource, SourceError
from rtcc.clock import Clock
from rtcc.config import CameraSettings

log = logging.getLogger(__name__)

LIVE_MOVFLAGS = {
    "movflags": "empty_moov+default_base_moof+frag_every_frame+skip_trailer",
    "flush_packets": "1",
}
LINGER_S = 10.0  # keep the demux running this long after the last viewer left
MAX_BACKLOG = 600  # fragments a viewer may fall behind before it is dropped

Push = Callable[[bytes | None], None]  # a viewer's sink; None: the stream ended


_HEAD = struct.Struct(">I4s")
_LARGE = struct.Struct(">Q")


class FragmentCutter:
    """Cut a fragmented MP4 byte stream into its units: the init segment (the boxes up to and
    including ``moov``) and fragments (the boxes up to and including each ``mdat``), each as one
    ``bytes`` (a slice of what the muxer wrote: no per-box copies). Only box headers are read,
    once per box; a box split across writes waits for the rest."""

    def __init__(self) -> None:
        self._buf = b""  # the unit being assembled
        self._scan = 0  # where its next box header starts

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        buf = self._buf + data if self._buf else data
        units: list[tuple[str, bytes]] = []
        begin, at, end = 0, self._scan, len(buf)
        while end - at >= 8:
            size, kind = _HEAD.unpack_from(buf, at)
            if size == 1 and end - at >= 16:
                size = _LARGE.unpack_from(buf, at + 8)[0]
            if size < 8 or end - at < size:
                break
            at += size
            if kind == b"mdat" or kind == b"moov":
                units.append(("fragment" if kind == b"mdat" else "init", buf[begin:at]))
                begin = at
        self._buf, self._scan = buf[begin:], at - begin
        return units


class _Sink:
    """The file-like object the MP4 muxer writes to."""

    def __init__(self, on_bytes: Callable[[bytes], None]) -> None:
        self._on_bytes = on_bytes

    def write(self, data: bytes) -> int:
        self._on_bytes(bytes(data))  # PyAV hands over bytes: no copy
        return len(data)

    def tell(self) -> int:
        return 0

    def flush(self) -> None:
        return None


@dataclass
class LiveStats:
    packets: int = 0
    fragments: int = 0
    bytes_out: int = 0
    connects: int = 0
    frames_decoded: int = 0  # stays 0: live video is stream copy only
    error: str | None = None


class LiveMuxer:
    """One camera stream → init segment + fragments for any number of viewers."""

    def __init__(self, camera: CameraSettings, clock: Clock, *, which: str = "main",
                 linger_s: float = LINGER_S,
                 on_exit: Callable[[LiveMuxer], None] | None = None) -> None:
        self.camera, self.clock, self.which, self.linger_s = camera, clock, which, linger_s
        self._on_exit = on_exit
        self._lock = threading.Lock()
        self._viewers: list[Push] = []
        self._init: bytes | None = None
        self._gop: list[bytes] = []  # fragments since the last keyframe
        self._keys: deque[bool] = deque()  # keyframe flags of packets not yet out as fragments
        self._cutter = FragmentCutter()
        self._stop = threading.Event()
        self._idle_since: float | None = None
        self.stats = LiveStats()
        self._thread = threading.Thread(target=self._run, name=f"live-{camera.id}", daemon=True)

    # --- viewers ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def add(self, push: Push) -> None:
        with self._lock:
            if self._init is not None:
                push(self._init)
                for frag in self._gop:
                    push(frag)
            self._viewers.append(push)
            self._idle_since = None

    def remove(self, push: Push) -> None:
        with self._lock:
            if push in self._viewers:
                self._viewers.remove(push)
            if not self._viewers:
                self._idle_since = time.monotonic()

    @property
    def viewers(self) -> int:
        return len(self._viewers)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    # --- the demux thread ---------------------------------------------------------------

    def _run(self) -> None:
        backoff = Backoff(cap_s=self.camera.reconnect_max_s)
        try:
            while not self._stop.is_set() and not self._idle():
                try:
                    self._connection()
                    backoff.reset()
                except SourceError as exc:
                    self.stats.error = exc.message
                    log.info("live %s: %s", self.camera.id, exc.message)
                if self._stop.wait(backoff.next()):
                    break
        finally:
            self._end()

    def _idle(self) -> bool:
        idle = self._idle_since
        return idle is not None and time.monotonic() - idle >= self.linger_s

    def _connection(self) -> None:
        source = AvSource(self.camera, self.clock, wait=self._stop.wait)
        source.open()
        self.stats.connects += 1
        self.stats.error = None
        self._cutter = FragmentCutter()
        self._keys.clear()
        out = av.open(_Sink(self._bytes), "w", format="mp4", options=LIVE_MOVFLAGS)
        stamp = Restamper()
        try:
            ostream = out.add_stream_from_template(source.stream)
            started = False
            for packet in source.packets():
                if self._stop.is_set() or self._idle():
                    break
                at = source.packet_time(packet)
                if at is None or (not started and not packet.is_keyframe):
                    continue
                started = True
                if not stamp.apply(packet, at[0]):
                    continue
                self._keys.append(bool(packet.is_keyframe))
                packet.stream = ostream
                out.mux(packet)
                self.stats.packets += 1
        finally:
            source.close()
            try:
                out.close()
            except Exception:  # noqa: BLE001 - a half-written live stream is simply dropped
                log.debug("live %s: closing the muxer failed", self.camera.id)

    def _bytes(self, data: bytes) -> None:
        for kind, unit in self._cutter.feed(data):
            if kind == "init":
                self._set_init(unit)
            elif unit[4:8] == b"moof":  # an mdat without its moof cannot be played: dropped
                self._fragment(unit, self._keys.popleft() if self._keys else False)

    def _set_init(self, init: bytes) -> None:
        with self._lock:
            self._init, self._gop = init, []
            self._send(init)

    def _fragment(self, frag: bytes, key: bool) -> None:
        self.stats.fragments += 1
        with self._lock:
            if key:
                self._gop = []
            self._gop.append(frag)
            self._send(frag)

    def _send(self, data: bytes) -> None:
        """Push to every viewer (lock held); a viewer whose sink fails is dropped."""
        for push in list(self._viewers):
            try:
                push(data)
                self.stats.bytes_out += len(data)
            except Exception:  # noqa: BLE001 - a broken viewer must not stop the others
                self._viewers.remove(push)

    def _end(self) -> None:
        with self._lock:
            viewers, self._viewers = list(self._viewers), []
        for push in viewers:
            try:
                push(None)
            except Exception:  # noqa: BLE001
                log.debug("live %s: a viewer failed on close", self.camera.id)
        if self._on_exit is not None:
            self._on_exit(self)


class LiveHub:
    """The muxers of this process, one per (camera, stream), started on the first viewer."""

    def __init__(self, clock: Clock, *, linger_s: float = LINGER_S) -> None:
        self.clock, self.linger_s = clock, linger_s
        self._lock = threading.Lock()
        self._muxers: dict[tuple[str, str], LiveMuxer] = {}

    def subscribe(self, camera: CameraSettings, which: str, push: Push) -> Callable[[], None]:
        """Start (or join) the muxer of ``camera``'s ``which`` stream; returns unsubscribe."""
        if which == "detect" and camera.detect_url:
            url = camera.detect_url
        else:
            url, which = camera.url, "main"
        key = (camera.id, url)
        with self._lock:
            muxer = self._muxers.get(key)
            if muxer is None:
                cfg = camera.model_copy(update={"url": url})
                muxer = LiveMuxer(cfg, self.clock, which=which, linger_s=self.linger_s,
                                  on_exit=self._gone)
                self._muxers[key] = muxer
                muxer.add(push)
                muxer.start()
            else:
                muxer.add(push)
        return lambda: muxer.remove(push)

    def _gone(self, muxer: LiveMuxer) -> None:
        with self._lock:
            for key, value in list(self._muxers.items()):
                if value is muxer:
                    del self._muxers[key]

    def muxers(self) -> list[LiveMuxer]:
        with self._lock:
            return list(self._muxers.values())

    def close(self) -> None:
        for muxer in self.muxers():
            muxer.stop()
        for muxer in self.muxers():
            muxer.join(5)
