"""A camera worker's live feed: the packets it already demuxes, as fragmented MP4 on a local
socket, so live viewing opens no second connection to the camera.

Each stream a worker opens (``main``: ``url``, ``detect``: ``detect_url``) has a
:class:`LiveFeed` listening on ``<data_dir>/run/live-<camera>-<stream>.sock`` (mode 0600, in a
0700 folder). While nobody is connected nothing is muxed (one list check per packet). A reader
that connects gets the init segment and the fragments since the last keyframe, then every unit
as it comes (the muxing starts at the next keyframe when nobody was reading). Each reader has its
own bounded queue drained by its own thread: a slow reader never holds up the demux; one that
falls ``backlog`` units behind loses what it had queued and resumes at the next keyframe (after
the init segment again). On the wire a unit is a 5-byte header (kind, length) and its bytes.

The server's live hub (:mod:`cameras.live`) reads a feed with :class:`FeedClient` when the
socket answers, and opens the camera itself when it does not (no local worker, or a stream the
worker does not open). A worker killed with ``-9`` leaves a socket nobody answers: the next
worker replaces it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av

from cameras.fmp4 import FragmentWriter
from cameras.sources import SourceError

log = logging.getLogger(__name__)

RUN_DIR = "run"
READER_BACKLOG = 300  # units a reader may fall behind before it skips to the next keyframe
POLL_S = 0.5  # how often blocking socket calls look at the stop flag
_HEADER = struct.Struct(">BI")  # kind, length
INIT, FRAGMENT, KEY = 0, 1, 2  # KEY: a fragment that starts on a keyframe
_MAX_ADDRESS = 100  # AF_UNIX addresses hold 107 bytes


def feed_dir(data_dir: Path) -> Path:
    return data_dir / RUN_DIR


def socket_path(folder: Path, camera_id: str, which: str) -> Path:
    return folder / f"live-{camera_id}-{which}.sock"


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    """An address the kernel accepts for ``path``: a long one goes through the folder's
    descriptor (``/proc/self/fd/N/name``)."""
    if len(os.fsencode(str(path))) <= _MAX_ADDRESS:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def _copy(packet: Any) -> Any:
    """A packet the live writer may restamp: the recorder restamps the original."""
    out = av.Packet(bytes(packet))
    out.pts, out.dts, out.time_base = packet.pts, packet.dts, packet.time_base
    out.is_keyframe = packet.is_keyframe
    return out


class _Reader:
    """One connected reader: a bounded queue and the thread that sends it."""

    def __init__(self, conn: socket.socket, backlog: int, gone: Callable[[_Reader], None]) -> None:
        self.conn, self.backlog, self._gone = conn, backlog, gone
        self._cond = threading.Condition()
        self._units: deque[tuple[int, bytes]] = deque()
        self._init: bytes | None = None
        self._skip = False  # dropped behind: wait for a keyframe
        self._closed = False
        self.dropped = 0

    def start(self) -> None:
        threading.Thread(target=self._drain, name="live-feed-reader", daemon=True).start()

    def offer(self, kind: int, data: bytes) -> None:
        with self._cond:
            if self._closed:
                return
            if kind == INIT:
                self._init = data
            if len(self._units) >= self.backlog:
                self.dropped += len(self._units)
                self._units.clear()
                self._skip = True
            if self._skip:
                if kind == FRAGMENT:
                    return
                self._skip = False
                if kind == KEY and self._init is not None:
                    self._units.append((INIT, self._init))
            self._units.append((kind, data))
            self._cond.notify()

    def _drain(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._units and not self._closed:
                        self._cond.wait()
                    if self._closed:
                        return
                    units, self._units = self._units, deque()
                parts: list[bytes] = []
                for kind, data in units:
                    parts += (_HEADER.pack(kind, len(data)), data)
                self.conn.sendall(b"".join(parts))
        except OSError:
            log.debug("a live feed reader left")
        finally:
            self.close()
            self._gone(self)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)
        self.conn.close()


class LiveFeed:
    """One stream of a worker on one socket. ``feed`` is called on the demux thread only."""

    def __init__(self, path: Path, *, backlog: int = READER_BACKLOG) -> None:
        self.path, self.backlog = path, backlog
        self._lock = threading.Lock()
        self._readers: list[_Reader] = []
        self._writer: FragmentWriter | None = None
        self._template: Any = None  # the stream the writer was made for
        self._init: bytes | None = None
        self._gop: list[tuple[int, bytes]] = []  # fragments since the last keyframe
        self._listener: socket.socket | None = None
        self._inode = 0
        self._stop = threading.Event()
        self.fragments = 0

    def start(self) -> None:
        """Listen (replacing a socket a killed worker left); raises ``OSError``."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)  # private even if an older install made it looser
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with _address(self.path) as address:
                sock.bind(address)
            os.chmod(self.path, 0o600)  # the folder is 0700: nobody else got in meanwhile
            sock.listen(4)
            sock.settimeout(POLL_S)
        except OSError:
            sock.close()
            raise
        self._inode = self.path.stat().st_ino
        self._listener = sock
        threading.Thread(
            target=self._accept, name=f"live-feed-{self.path.stem}", daemon=True
        ).start()

    @property
    def readers(self) -> int:
        return len(self._readers)

    def _accept(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setblocking(True)
            reader = _Reader(conn, self.backlog, self._gone)
            with self._lock:
                if self._init is not None:  # muxing already: start at the last keyframe
                    reader.offer(INIT, self._init)
                    for kind, data in self._gop:
                        reader.offer(kind, data)
                self._readers.append(reader)
            reader.start()

    def _gone(self, reader: _Reader) -> None:
        with self._lock:
            if reader in self._readers:
                self._readers.remove(reader)

    def feed(self, packet: Any, stream: Any, t: float) -> None:
        """One demuxed packet of ``stream`` at media time ``t``: muxed only while read; a new
        ``stream`` (the worker reconnected) starts a new output, whose init segment follows."""
        if not self._readers:
            if self._writer is not None:
                self._reset()
            return
        try:
            if self._writer is None or stream is not self._template:
                self._reset()
                self._template, self._writer = stream, FragmentWriter(stream, self._unit)
            self._writer.write(_copy(packet), t)
        except Exception as exc:  # noqa: BLE001 - live viewing must never stop the recording
            log.warning("live feed %s: %s; its readers are let go", self.path.name, exc)
            self._let_go()
            self._reset()

    def _let_go(self) -> None:
        """Disconnect every reader (they reconnect, or open the camera themselves)."""
        with self._lock:
            readers, self._readers = list(self._readers), []
        for reader in readers:
            reader.close()

    def _reset(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = self._template = None
        with self._lock:
            self._init, self._gop = None, []

    def _unit(self, name: str, data: bytes, key: bool) -> None:
        kind = INIT if name == "init" else KEY if key else FRAGMENT
        with self._lock:
            if kind == INIT:
                self._init, self._gop = data, []
            else:
                self.fragments += 1
                if kind == KEY:
                    self._gop = []
                self._gop.append((kind, data))
            for reader in self._readers:
                reader.offer(kind, data)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
            with contextlib.suppress(OSError):
                if self.path.stat().st_ino == self._inode:
                    self.path.unlink()
        self._let_go()


class LiveFeeds:
    """The feeds of one worker, one per stream (``Link.role``) it opens."""

    def __init__(self, data_dir: Path, camera_id: str, roles: list[str]) -> None:
        folder = feed_dir(data_dir)
        self._feeds = {role: LiveFeed(socket_path(folder, camera_id, role)) for role in roles}

    def start(self) -> None:
        """A feed that cannot listen (read-only disk) is left out: the hub opens the camera."""
        for role, feed in list(self._feeds.items()):
            try:
                feed.start()
            except OSError as exc:
                log.warning("live feed %s: cannot listen (%s)", feed.path.name, exc.strerror)
                del self._feeds[role]

    def feed(self, role: str, packet: Any, stream: Any, stamp: tuple[float, Any] | None) -> None:
        feed = self._feeds.get(role)
        if feed is not None and stamp is not None:
            feed.feed(packet, stream, stamp[0])

    def close(self) -> None:
        for feed in self._feeds.values():
            feed.close()


class FeedClient:
    """The server's end of a worker's feed: ``connect`` gives None when no worker answers."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    def connect(cls, path: Path) -> FeedClient | None:
        if not path.exists():
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with _address(path) as address:
                sock.connect(address)
        except OSError:  # refused: the worker that made it is gone
            sock.close()
            return None
        sock.settimeout(POLL_S)
        return cls(sock)

    def units(
        self, *, silence_s: float, stop: Callable[[], bool]
    ) -> Iterator[tuple[str, bytes, bool]]:
        """("init" | "fragment", bytes, keyframe) as they come, until ``stop()``; raises an
        ``offline`` :class:`SourceError` when the feed ends or is silent for ``silence_s``."""
        buf, quiet = bytearray(), 0.0
        while not stop():
            try:
                chunk = self.sock.recv(1 << 16)
            except TimeoutError:
                quiet += POLL_S
                if quiet >= silence_s:
                    raise SourceError(
                        f"worker live feed: no video for {silence_s:g} s", state="offline"
                    ) from None
                continue
            except OSError as exc:
                raise SourceError(f"worker live feed: {exc.strerror}", state="offline") from None
            if not chunk:
                raise SourceError("worker live feed ended", state="offline")
            quiet = 0.0
            buf += chunk
            while len(buf) >= _HEADER.size:
                kind, size = _HEADER.unpack_from(buf)
                if kind not in (INIT, FRAGMENT, KEY):
                    raise SourceError(f"worker live feed: unknown unit {kind}", state="offline")
                end = _HEADER.size + size
                if len(buf) < end:
                    break
                data = bytes(buf[_HEADER.size : end])
                del buf[:end]
                yield ("init" if kind == INIT else "fragment"), data, kind == KEY

    def close(self) -> None:
        self.sock.close()
