"""Live video without re-encoding: one demux per camera stream, remuxed to fragmented MP4 and
fanned out to every viewer.

A :class:`LiveMuxer` is a thread that takes one camera stream (main stream or detection
substream) from the camera worker of this machine when it serves it (:mod:`cameras.live_feed`:
the worker's own connection, so viewers add none), else reads the camera URL itself through
:class:`cameras.sources.AvSource` and stream-copies it with :class:`cameras.fmp4.FragmentWriter`
(one fragment per frame). While on the camera it looks every ``PROBE_S`` for the worker's feed
and moves to it when it answers. ``ftyp``+``moov`` is the init segment, each ``moof``+``mdat`` a
fragment. A new viewer gets the init segment and the fragments since the last keyframe, then
every fragment as it comes; Media Source Extensions in the browser play it. After a reconnect a
new init segment follows (the browser appends in ``sequence`` mode, so timestamps need not
continue). The muxer stops itself when it has had no viewer for ``linger_s``.

Nothing here decodes a frame: ``frames_decoded`` stays 0 (the benchmark checks it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cameras.backoff import Backoff
from cameras.fmp4 import LIVE_MOVFLAGS as LIVE_MOVFLAGS
from cameras.fmp4 import FragmentCutter as FragmentCutter
from cameras.fmp4 import FragmentWriter
from cameras.live_feed import FeedClient, socket_path
from cameras.sources import AvSource, SourceError
from rtcc.clock import Clock
from rtcc.config import CameraSettings

log = logging.getLogger(__name__)

LINGER_S = 10.0  # keep the demux running this long after the last viewer left
MAX_BACKLOG = 600  # fragments a viewer may fall behind before it is dropped
PROBE_S = 5.0  # while on the camera itself, look this often for the worker's feed

Push = Callable[[bytes | None], None]  # a viewer's sink; None: the stream ended


@dataclass
class LiveStats:
    packets: int = 0
    fragments: int = 0
    bytes_out: int = 0
    connects: int = 0
    frames_decoded: int = 0  # stays 0: live video is stream copy only
    error: str | None = None
    via: str | None = None  # "worker" (its feed) or "camera" (a connection of our own)


class LiveMuxer:
    """One camera stream → init segment + fragments for any number of viewers."""

    def __init__(self, camera: CameraSettings, clock: Clock, *, which: str = "main",
                 linger_s: float = LINGER_S,
                 on_exit: Callable[[LiveMuxer], None] | None = None,
                 feed: Path | None = None) -> None:
        self.camera, self.clock, self.which, self.linger_s = camera, clock, which, linger_s
        self.feed = feed  # the socket of the worker's feed of this stream, if any
        self._handover: FeedClient | None = None  # the feed found while on the camera
        self._next_probe = 0.0
        self._on_exit = on_exit
        self._lock = threading.Lock()
        self._viewers: list[Push] = []
        self._init: bytes | None = None
        self._gop: list[bytes] = []  # fragments since the last keyframe
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
                    client = self._worker_feed()
                    if client is not None:
                        self._from_worker(client)
                    else:
                        self._connection()
                    backoff.reset()
                except SourceError as exc:
                    self.stats.error = exc.message
                    log.info("live %s: %s", self.camera.id, exc.message)
                if self._handover is None and self._stop.wait(backoff.next()):
                    break
        finally:
            if self._handover is not None:
                self._handover.close()
            self._end()

    def _idle(self) -> bool:
        idle = self._idle_since
        return idle is not None and time.monotonic() - idle >= self.linger_s

    def _stopping(self) -> bool:
        return self._stop.is_set() or self._idle()

    def _worker_feed(self) -> FeedClient | None:
        client, self._handover = self._handover, None
        if client is None and self.feed is not None:
            client = FeedClient.connect(self.feed)
        return client

    def _worker_back(self) -> bool:
        """While on the camera: has the worker's feed come (back)? Looked at every PROBE_S."""
        now = time.monotonic()
        if self.feed is None or now < self._next_probe:
            return False
        self._next_probe = now + PROBE_S
        self._handover = FeedClient.connect(self.feed)
        return self._handover is not None

    def _from_worker(self, client: FeedClient) -> None:
        self.stats.connects += 1
        self.stats.error, self.stats.via = None, "worker"
        try:
            units = client.units(silence_s=self.camera.read_timeout_s, stop=self._stopping)
            for kind, unit, key in units:
                if kind == "fragment":
                    self.stats.packets += 1
                self._unit(kind, unit, key)
        finally:
            client.close()

    def _connection(self) -> None:
        source = AvSource(self.camera, self.clock, wait=self._stop.wait)
        source.open()
        self.stats.connects += 1
        self.stats.error, self.stats.via = None, "camera"
        self._next_probe = time.monotonic() + PROBE_S
        writer = FragmentWriter(source.stream, self._unit)
        try:
            for packet in source.packets():
                if self._stopping() or self._worker_back():
                    break
                at = source.packet_time(packet)
                if at is not None and writer.write(packet, at[0]):
                    self.stats.packets += 1
        finally:
            source.close()
            writer.close()

    def _unit(self, kind: str, unit: bytes, key: bool) -> None:
        if kind == "init":
            self._set_init(unit)
        else:
            self._fragment(unit, key)

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

    def __init__(self, clock: Clock, *, linger_s: float = LINGER_S,
                 feeds: Path | None = None) -> None:
        """``feeds``: the folder of the local camera workers' live feeds
        (:func:`cameras.live_feed.feed_dir`); None: always open the camera."""
        self.clock, self.linger_s, self.feeds = clock, linger_s, feeds
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
                feed = socket_path(self.feeds, camera.id, which) if self.feeds else None
                muxer = LiveMuxer(cfg, self.clock, which=which, linger_s=self.linger_s,
                                  on_exit=self._gone, feed=feed)
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
