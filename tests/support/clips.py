"""A short H.264 clip the tests write themselves: a bright plate-like rectangle crosses a dark
scene during given time ranges; the scene is still otherwise.

Every frame carries its index as a Gray-coded row of black/white blocks in the top strip, so a
scripted recognizer knows the media time of any frame it is given (one block changes per frame,
far below what the motion gate counts as motion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT = 640, 360
BLOCK = 16  # px per stamp bit
BITS = 12
STRIP = BLOCK * 2  # the top strip holds the stamp; plates are drawn below it
PLATE_W, PLATE_H, PLATE_Y = 120, 40, 200
SCENE_GREY = 60


@dataclass(frozen=True)
class Clip:
    path: Path
    fps: int
    seconds: float
    passes: tuple[tuple[float, float], ...]  # (start_s, end_s) while a plate crosses


def _gray(n: int) -> int:
    return n ^ (n >> 1)


def _from_gray(g: int) -> int:
    n = 0
    while g:
        n ^= g
        g >>= 1
    return n


def plate_box(t: float, start: float, end: float) -> tuple[int, int, int, int]:
    """Where the plate of a pass over [start, end) is at media time ``t``: left to right."""
    share = (t - start) / (end - start)
    x = int(40 + share * (WIDTH - 80 - PLATE_W))
    return x, PLATE_Y, x + PLATE_W, PLATE_Y + PLATE_H


def draw_frame(index: int, fps: int, passes: Sequence[tuple[float, float]]) -> np.ndarray:
    """The RGB frame ``index`` of a clip."""
    img = np.full((HEIGHT, WIDTH, 3), SCENE_GREY, np.uint8)
    code = _gray(index)
    for bit in range(BITS):
        value = 255 if code >> bit & 1 else 0
        img[4 : 4 + BLOCK, 4 + bit * BLOCK : 4 + (bit + 1) * BLOCK] = value
    t = index / fps
    for start, end in passes:
        if start <= t < end:
            x1, y1, x2, y2 = plate_box(t, start, end)
            img[y1:y2, x1:x2] = 235
            img[y1 + 4 : y2 - 4, x1 + 4 : x1 + 8] = 20  # something plate-like to look at
    return img


def frame_index(image: np.ndarray) -> int:
    """Read back the index a frame was stamped with (works on BGR or RGB, after H.264)."""
    grey = image[..., 1]
    code = 0
    for bit in range(BITS):
        cx, cy = 4 + bit * BLOCK + BLOCK // 2, 4 + BLOCK // 2
        if grey[cy - 3 : cy + 3, cx - 3 : cx + 3].mean() > 128:
            code |= 1 << bit
    return _from_gray(code)


def find_plate(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """The bright rectangle's box below the stamp strip, if one is in the frame."""
    ys, xs = np.nonzero(image[STRIP:, :, 1] > 180)
    if len(xs) < 200:
        return None
    return int(xs.min()), int(ys.min()) + STRIP, int(xs.max()) + 1, int(ys.max()) + STRIP + 1


def write_clip(
    path: Path,
    *,
    seconds: float,
    passes: Sequence[tuple[float, float]],
    fps: int = 10,
    bframes: int = 0,
) -> Clip:
    """Write an MP4 (H.264, keyframe every second, ``bframes`` B-frames in a row at most: none
    by default, as most IP cameras) and describe it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"g": str(fps), "bf": str(bframes), "crf": "20", "preset": "veryfast"}
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(draw_frame(i, fps, passes), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return Clip(path, fps, seconds, tuple(passes))


def reencode(src: Path, dst: Path, *, fps: int, bframes: int) -> int:
    """Re-time a real clip to ``fps`` as H.264 (keyframe every second, ``bframes`` B-frames in
    a row at most); the number of frames written."""
    written, next_t = 0, 0.0
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"g": str(fps), "bf": str(bframes), "crf": "20", "preset": "veryfast"}
        for vf in inp.decode(video=0):
            if float(vf.time or 0.0) + 1e-3 < next_t:
                continue
            next_t += 1.0 / fps
            if not written:
                stream.width, stream.height, stream.pix_fmt = vf.width, vf.height, "yuv420p"
            frame = av.VideoFrame.from_ndarray(vf.to_ndarray(format="rgb24"), format="rgb24")
            frame.pts = written
            out.mux(stream.encode(frame))
            written += 1
        out.mux(stream.encode(None))
    return written
