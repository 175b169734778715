"""Pacing of one camera's analysis: lag stays bounded under overload, and only what can be
analysed is decoded.

**Bounded lag.** A camera never queues old frames for the recognizer. When the recognizer (the
host's shared detector, or this process's own models) is slower than the detect rate, the
worker keeps demuxing and decoding, and a sampled frame that is already more than ``STALE_S``
behind the newest frame is not analysed: the next current one is. So a busy host lowers each
camera's analysed rate instead of letting it fall minutes behind; the shared detector serves
one frame per waiting camera per batch, so the rates drop evenly. The worker reports the share
it analysed ("analysing 3.1 of 5 fps").

How far behind a frame is: for a file played in real time, the media time against the wall
clock since the file was opened (less the decoder's reordering delay). A live stream has no such
truth, so it is estimated: the delay of the frame against the smallest delay seen, rebased each
time the worker had to wait for a packet (it was then at the live edge; the baseline may also
creep up slowly so that camera clock drift is never mistaken for lag). A camera more than
``CATCH_UP_S`` behind (decoding itself cannot keep up: a starved CPU) decodes keyframes only
until a frame is current again.

**Decode only what is analysed** (``DecodeMode``): non-reference frames (B-frames) are skipped
when the detect interval spans several source frames, and while nothing moves only keyframes are
decoded — when the stream has no B-frames (a reordering decoder would hold each keyframe back
for a whole GOP) and its keyframes come at most ``KEYFRAME_ONLY_MAX_GAP_S`` apart (a vehicle is
noticed at the next keyframe). The switch back to full decode happens right after the keyframe
that showed motion, so every following frame has its references.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

STALE_S = 0.5  # a sampled frame further behind the newest than this is not analysed
EDGE_WAIT_S = 0.02  # waiting this long for a packet means it came off the wire: the live edge
DRIFT_PER_S = 1e-3  # the live baseline may creep up this much per second (clock drift)
REORDER_FRAMES = 2  # frames a decoder holds back when the stream has B-frames
NONREF_SOURCE_FRAMES = 4  # skip non-reference frames when one detect interval spans this many
KEYFRAME_ONLY_MAX_GAP_S = 1.05  # keyframes only while still if they come every second (or more)
CATCH_UP_S = 2 * STALE_S  # this far behind, decoding itself is too slow: skip to a keyframe


class DecodeMode(StrEnum):
    """PyAV's ``CodecContext.skip_frame`` values (FFmpeg's ``AVDiscard``) that the worker uses."""

    ALL = "DEFAULT"
    NONREF = "NONREF"
    KEYFRAMES = "NONKEY"


class Pacer:
    """Decides, per camera connection, which frames are decoded and which sampled frames are
    current enough to analyse. The worker passes in every time (a monotonic clock)."""

    def __init__(
        self, detect_fps: float, nominal_fps: float, live: bool, *,
        keyframes_when_still: bool = True, drop_stale: bool = True,
    ) -> None:
        self.detect_fps, self.nominal_fps, self.live = detect_fps, nominal_fps, live
        self.keyframes_when_still = keyframes_when_still  # camera.motion.keyframes_when_still
        self.drop_stale = drop_stale  # lpr.drop_stale_frames (off: every frame, late or not)
        self.reorders = False  # the stream has B-frames: the decoder holds frames back
        self._at_edge = True  # the first packet of a connection is waited for
        self._baseline: float | None = None
        self._baseline_at = 0.0
        self._last_key_t: float | None = None
        self._done_at = float("-inf")
        self.keyframe_gap_s: float | None = None
        self.decoding = DecodeMode.ALL
        self.last_behind = 0.0

    def arrived(self, packet: Any, stream: Any, now: float, still: bool) -> None:
        """A demuxed packet, about to be decoded (``now``: monotonic): note whether it was
        waited for and where keyframes fall, and set what the decoder skips (``still``: the
        motion gate is closed)."""
        self.reorders = self.reorders or bool(stream.codec_context.has_b_frames)
        if now - self._done_at >= EDGE_WAIT_S:
            self._at_edge = True
        if packet.is_keyframe and packet.pts is not None:
            t = float(packet.pts * packet.time_base)
            if self._last_key_t is not None and t > self._last_key_t:
                self.keyframe_gap_s = t - self._last_key_t
            self._last_key_t = t
        mode = self.mode(still=still)
        if mode is not self.decoding:
            stream.codec_context.skip_frame = mode.value
            self.decoding = mode

    def done(self, now: float) -> None:
        """The packet's frames are handled; waiting for the next one starts now."""
        self._done_at = now

    def behind(self, delay_s: float, now: float) -> float:
        """How far behind the newest frame a decoded frame is. ``delay_s``: wall time since the
        source opened less the frame's media time; ``now``: a monotonic clock."""
        if not self.live:
            held = REORDER_FRAMES / self.nominal_fps if self.reorders and self.nominal_fps else 0
            self.last_behind = max(0.0, delay_s - held)
            return self.last_behind
        if self._baseline is None or self._at_edge:
            self._baseline = delay_s
        else:
            creep = DRIFT_PER_S * max(0.0, now - self._baseline_at)
            self._baseline = min(self._baseline + creep, delay_s)
        self._at_edge, self._baseline_at = False, now
        self.last_behind = max(0.0, delay_s - self._baseline)
        return self.last_behind

    def stale(self, behind_s: float) -> bool:
        return self.drop_stale and behind_s > STALE_S

    def mode(self, *, still: bool) -> DecodeMode:
        """What to decode next: ``still`` while the motion gate is closed. A camera so far
        behind that decoding is the bottleneck (a starved CPU) skips to the next keyframe, or
        at least skips the B-frames, until a frame is current again."""
        catching_up = self.drop_stale and self.last_behind > CATCH_UP_S
        gap = self.keyframe_gap_s
        keyframes = gap is not None and gap <= KEYFRAME_ONLY_MAX_GAP_S
        if ((still and self.keyframes_when_still) or catching_up) and keyframes \
                and not self.reorders:
            return DecodeMode.KEYFRAMES
        if catching_up or self.nominal_fps >= NONREF_SOURCE_FRAMES * self.detect_fps:
            return DecodeMode.NONREF
        return DecodeMode.ALL


class Sampler:
    """Pick frames at ``interval`` seconds of media time without drifting."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.next_t: float | None = None

    def take(self, t: float) -> bool:
        if self.next_t is not None and t + 1e-3 < self.next_t:
            return False
        if self.next_t is None or t - self.next_t >= self.interval:
            self.next_t = t + self.interval  # first frame, or after a gap: restart the grid
        else:
            self.next_t += self.interval
        return True
