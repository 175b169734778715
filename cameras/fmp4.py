"""Packets of one H.264 stream in, fragmented MP4 units out, by stream copy.

:class:`FragmentWriter` muxes demuxed packets (timestamps from media time, :mod:`cameras.remux`)
into an in-memory fragmented MP4 with one fragment per frame (the fragment of a frame is out as
soon as the next frame arrives) and cuts the byte stream into units with
:class:`FragmentCutter`: ``ftyp``+``moov`` is the init segment, each ``moof``+``mdat`` a
fragment, handed on with whether it starts on a keyframe. The live muxer of the server
(:mod:`cameras.live`) and the live feed of a camera worker (:mod:`cameras.live_feed`) both write
through it. Nothing here decodes a frame.
"""

from __future__ import annotations

import logging
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

import av

from cameras.remux import Restamper

log = logging.getLogger(__name__)

LIVE_MOVFLAGS = {
    "movflags": "empty_moov+default_base_moof+frag_every_frame+skip_trailer",
    "flush_packets": "1",
}

# A unit's receiver: ("init" | "fragment", the bytes, whether the fragment starts on a keyframe)
OnUnit = Callable[[str, bytes, bool], None]

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


class FragmentWriter:
    """One output of one stream (made for one connection: a reconnect needs a new writer,
    whose init segment follows). The first packet written is a keyframe; the init segment
    comes out with it."""

    def __init__(self, template: Any, on_unit: OnUnit) -> None:
        self._on_unit = on_unit
        self._cutter = FragmentCutter()
        self._keys: deque[bool] = deque()  # keyframe flags of packets not yet out as fragments
        self._stamp = Restamper()
        self._out = av.open(_Sink(self._bytes), "w", format="mp4", options=LIVE_MOVFLAGS)
        self._ostream = self._out.add_stream_from_template(template)
        self.started = False

    def write(self, packet: Any, t: float) -> bool:
        """Mux ``packet`` (media time ``t``, s); False when it was left out (before the first
        keyframe, or a timestamp going backwards). The packet is taken over (restamped)."""
        if not self.started and not packet.is_keyframe:
            return False
        self.started = True
        if not self._stamp.apply(packet, t):
            return False
        self._keys.append(bool(packet.is_keyframe))
        packet.stream = self._ostream
        self._out.mux(packet)
        return True

    def close(self) -> None:
        try:
            self._out.close()
        except Exception:  # noqa: BLE001 - a half-written live stream is simply dropped
            log.debug("closing a live fragment writer failed")

    def _bytes(self, data: bytes) -> None:
        for kind, unit in self._cutter.feed(data):
            if kind == "init":
                self._on_unit("init", unit, False)
            elif unit[4:8] == b"moof":  # an mdat without its moof cannot be played: dropped
                self._on_unit("fragment", unit, self._keys.popleft() if self._keys else False)
