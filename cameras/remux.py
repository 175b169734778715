"""Stream copy with timestamps taken from media time, shared by the recorder and the live muxer.

A source's packets carry the container's own timestamps, which restart at zero each time a file
loops and at an arbitrary value after an RTSP reconnect. The source already turns them into
continuous media time (seconds since it was opened, loops included); :class:`Restamper` writes
that time back into each packet relative to the first packet of an output, so an output holds
exactly the media time it claims and never sees a timestamp go backwards.
"""

from __future__ import annotations

from typing import Any

# Fragmented MP4: readable up to the last fragment when cut off, and playable by Media Source
# Extensions. ``default_base_moof`` makes each fragment self-contained.
FRAGMENTED = "frag_keyframe+empty_moov+default_base_moof"
MOVFLAGS = {"movflags": FRAGMENTED, "flush_packets": "1"}


class Restamper:
    """Rewrite a packet's pts/dts from media time ``t`` (s), relative to the first packet."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self.last_dts: int | None = None

    def reset(self) -> None:
        self.t0 = None
        self.last_dts = None

    def apply(self, packet: Any, t: float) -> bool:
        """Set the packet's timestamps; False when it must be dropped (it would go backwards)."""
        if packet.pts is None:
            return False
        if self.t0 is None:
            self.t0 = t
        tb = packet.time_base
        pts = round((t - self.t0) / tb)
        reorder = packet.pts - packet.dts if packet.dts is not None else 0  # B-frames
        dts = pts - reorder
        if self.last_dts is not None and dts <= self.last_dts:
            return False
        packet.pts, packet.dts = pts, dts
        self.last_dts = dts
        return True
