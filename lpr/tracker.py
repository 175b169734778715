"""Per-camera plate tracks: associate observations across frames, emit one read per vehicle pass.

An observation joins the open track whose motion-predicted box overlaps it best, or, when the
plate moved too far for any overlap, the nearby track whose text is similar. A track closes when it
has not been seen for ``track_gap_s`` (sooner when it was last seen at the frame edge: the vehicle
left). Each track yields an early ``preview`` once ``preview_frames`` observations agree (or at
once when the first read reaches ``instant_preview_confidence``), and one
``final`` consensus when it closes; a vehicle that stops is finalised after ``track_max_s`` and its
track keeps absorbing observations silently until it leaves. Pure logic: time comes in as ``at``.

Track keys are ``<prefix>-<run>-<n>``: ``run`` is random per tracker, so a restarted worker never
reuses a key of an earlier run (a reused key would overwrite that pass's row and snapshot).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lpr import formats
from lpr.consensus import Consensus, consensus, weight
from lpr.prior import Decoder
from lpr.recognizer import PlateObservation
from rtcc.config import LprSettings
from rtcc.plates import PlateReadRecord
from rtcc.vocab import ReadStatus

Box = tuple[int, int, int, int]
_FOLD = str.maketrans({"O": "0", "I": "1", "B": "8", "S": "5", "Z": "2", "Q": "0", "D": "0"})
MAX_OBSERVATIONS = 60


@dataclass(frozen=True)
class TrackRead:
    record: PlateReadRecord
    best: PlateObservation
    best_frame: Any  # the frame the best observation came from (a BGR array in production)

    @property
    def track_key(self) -> str:
        return self.record.track_key

    @property
    def status(self) -> ReadStatus:
        return self.record.status


@dataclass
class Track:
    key: str
    first_seen: datetime
    last_seen: datetime
    box: Box
    observations: list[PlateObservation] = field(default_factory=list)
    frames: int = 0
    velocity: tuple[float, float] = (0.0, 0.0)  # box centre, pixels per second
    best: PlateObservation | None = None
    best_frame: Any = None
    previewed: bool = False
    sealed: bool = False  # finalised while still in view (a stopped vehicle)
    at_edge: bool = False


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def text_similarity(a: str, b: str) -> float:
    """1.0 for the same plate (look-alike characters folded), 0.0 for nothing in common."""
    a, b = a.translate(_FOLD), b.translate(_FOLD)
    if not a or not b:
        return 0.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


class Tracker:
    """Tracks of one camera. Feed ``update`` every analysed frame, ``flush`` at end of stream."""

    def __init__(
        self, settings: LprSettings, *, key_prefix: str = "", run_id: str | None = None
    ) -> None:
        self.settings = settings
        rules = formats.rules_for(settings.regions)
        self.decoder = Decoder(rules, settings.format_prior_weight, settings.format_margin)
        self.tracks: list[Track] = []
        self._last_at: datetime | None = None
        self._ids = itertools.count(1)
        run = run_id if run_id is not None else uuid.uuid4().hex[:12]
        self._prefix = f"{key_prefix}-{run}" if key_prefix else run

    def _new_key(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    def _score(self, track: Track, obs: PlateObservation, at: datetime) -> float | None:
        dt = max((at - track.last_seen).total_seconds(), 0.0)
        vx, vy = track.velocity
        x1, y1, x2, y2 = track.box
        pred = (int(x1 + vx * dt), int(y1 + vy * dt), int(x2 + vx * dt), int(y2 + vy * dt))
        overlap = max(iou(pred, obs.box), iou(track.box, obs.box))
        ref = track.best.text if track.best is not None else ""
        sim = text_similarity(ref, obs.text)
        if overlap >= 0.5 or (overlap >= 0.1 and sim >= 0.3):
            return overlap + 0.5 * sim
        (cx, cy), (ox, oy) = _centre(pred), _centre(obs.box)
        width = max(x2 - x1, obs.box[2] - obs.box[0], 1)
        near = ((cx - ox) ** 2 + (cy - oy) ** 2) ** 0.5 <= width * (2.0 + 4.0 * dt)
        if near and sim >= 0.5:
            return 0.5 * sim
        return None

    def _assign(self, observations: Sequence[PlateObservation], at: datetime) -> dict[int, Track]:
        pairs = []
        for i, obs in enumerate(observations):
            for track in self.tracks:
                score = self._score(track, obs, at)
                if score is not None:
                    pairs.append((score, i, id(track), track))
        pairs.sort(key=lambda p: p[0], reverse=True)
        taken: dict[int, Track] = {}
        used: set[int] = set()
        for _, i, tid, track in pairs:
            if i not in taken and tid not in used:
                taken[i] = track
                used.add(tid)
        return taken

    def _add(self, track: Track, obs: PlateObservation, at: datetime, frame: Any) -> None:
        dt = (at - track.last_seen).total_seconds()
        if dt > 0 and track.frames:
            (cx, cy), (ox, oy) = _centre(track.box), _centre(obs.box)
            track.velocity = ((ox - cx) / dt, (oy - cy) / dt)
        track.box, track.last_seen = obs.box, at
        track.frames += 1
        track.observations.append(obs)
        if len(track.observations) > MAX_OBSERVATIONS:
            track.observations.remove(min(track.observations, key=weight))
        if track.best is None or weight(obs) >= weight(track.best):
            track.best, track.best_frame = obs, frame

    def _consensus(self, track: Track) -> Consensus:
        best = track.best
        assert best is not None
        return consensus(
            track.observations,
            self.decoder,
            (best.region, best.region_prob),
            self.settings.top_k,
        )

    def _read(self, track: Track, status: ReadStatus, c: Consensus) -> TrackRead:
        best = track.best
        assert best is not None
        record = PlateReadRecord(
            track_key=track.key,
            status=status,
            plate=c.text,
            confidence=c.confidence,
            char_confidences=c.char_confidences,
            char_alternatives=c.char_alternatives,
            alternatives=c.alternatives,
            region=best.region,
            format_ok=c.format_ok,
            frames=track.frames,
            first_seen=track.first_seen,
            last_seen=track.last_seen,
            box=best.box,
            raw_text=best.raw_text or best.text,
        )
        return TrackRead(record, best, track.best_frame)

    def _final(self, track: Track) -> TrackRead | None:
        s = self.settings
        c = self._consensus(track)
        if not track.previewed:
            # A read that no `preview_frames` observations agree on (a single frame above all)
            # must be very confident on its own.
            if c.support < s.preview_frames and c.confidence < s.single_frame_min_confidence:
                return None
            if c.confidence < s.min_confidence or len(c.text) < s.min_length:
                return None
            if s.drop_unformatted and not c.format_ok:
                return None
        return self._read(track, ReadStatus.FINAL, c)

    def _preview(self, track: Track) -> TrackRead | None:
        s = self.settings
        if track.previewed or track.sealed:
            return None
        c = self._consensus(track)
        agreed = track.frames >= s.preview_frames and c.support >= s.preview_frames
        if not agreed and c.confidence < s.instant_preview_confidence:
            return None
        if c.confidence < s.min_confidence:
            return None
        if len(c.text) < s.min_length or (s.drop_unformatted and not c.format_ok):
            return None
        track.previewed = True
        return self._read(track, ReadStatus.PREVIEW, c)

    def update(
        self,
        observations: Sequence[PlateObservation],
        at: datetime,
        frame: Any = None,
        frame_size: tuple[int, int] | None = None,
    ) -> list[TrackRead]:
        """Add one frame's observations (``frame_size`` = width, height); return reads due now."""
        self._last_at = at
        # What has been unseen for longer than a gap has ended before this frame is matched
        # (the stream stalled, the gate was closed, only keyframes were decoded): a later pass
        # of the same plate starts a new track instead of reviving the old one.
        out: list[TrackRead] = self._expire(at)
        taken = self._assign(observations, at)
        for i, obs in enumerate(observations):
            track = taken.get(i)
            if track is None:
                track = Track(self._new_key(), at, at, obs.box)
                self.tracks.append(track)
            self._add(track, obs, at, frame)
            if frame_size is not None:
                w, h = frame_size
                x1, y1, x2, y2 = obs.box
                track.at_edge = x1 <= w * 0.02 or y1 <= h * 0.02 or x2 >= w * 0.98 or y2 >= h * 0.98
            preview = self._preview(track)
            if preview is not None:
                out.append(preview)
        out.extend(self._expire(at))
        return out

    def advance(self, at: datetime) -> list[TrackRead]:
        """Time passes with no frame to look at (motion gate closed): close what has ended."""
        self._last_at = at
        return self._expire(at)

    def _expire(self, at: datetime) -> list[TrackRead]:
        s, out, still = self.settings, [], []
        for track in self.tracks:
            unseen = (at - track.last_seen).total_seconds()
            gap = min(s.track_gap_s, 0.5) if track.at_edge else s.track_gap_s
            if unseen > gap:
                read = None if track.sealed else self._final(track)
                if read is not None:
                    out.append(read)
                continue
            if not track.sealed and (at - track.first_seen).total_seconds() >= s.track_max_s:
                read = self._final(track)
                track.sealed = True
                if read is not None:
                    out.append(read)
            still.append(track)
        self.tracks = still
        return out

    def flush(self) -> list[TrackRead]:
        """Close every open track (end of stream)."""
        out = [r for t in self.tracks if not t.sealed for r in [self._final(t)] if r is not None]
        self.tracks = []
        return out
