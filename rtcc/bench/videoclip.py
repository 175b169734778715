"""The clip ``rtcc bench video`` serves when given none: 720p H.264 (15 fps, a keyframe every
second, no B-frames) of a moving scene, encoded once for a few seconds and then repeated by
stream copy to the length asked for."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT, FPS = 1280, 720, 15
BASE_S = 4


def _frame(i: int, texture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = texture.copy()  # a textured scene: keyframes of a realistic size
    x = (i * 24) % (WIDTH + 400) - 400
    img[380:600, max(0, x): max(0, x + 400)] = (40, 40, 160)
    img += rng.integers(0, 3, img.shape, dtype=np.uint8)  # a little sensor noise per frame
    return img


def make_clip(path: Path, *, seconds: float) -> Path:
    base = path.with_name("base.mp4")
    rng = np.random.default_rng(1)
    texture = np.full((HEIGHT, WIDTH, 3), 70, np.uint8)
    texture[: HEIGHT // 3] = (150, 170, 190)
    texture += rng.integers(0, 40, texture.shape, dtype=np.uint8)
    with av.open(str(base), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.options = {"g": str(FPS), "bf": "0", "preset": "ultrafast", "crf": "27"}
        for i in range(BASE_S * FPS):
            frame = av.VideoFrame.from_ndarray(_frame(i, texture, rng), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    repeats = max(1, int(seconds // BASE_S) + 1)
    with av.open(str(base)) as inp, av.open(str(path), "w") as out:
        src = inp.streams.video[0]
        dst = out.add_stream_from_template(src)
        packets = [p for p in inp.demux(src) if p.size]
        tb = src.time_base or Fraction(1, 90_000)
        step = round(BASE_S / tb)
        first = packets[0].pts or 0
        for r in range(repeats):
            for p in packets:
                q = av.Packet(bytes(p))
                q.pts = (p.pts or 0) - first + r * step
                q.dts = (p.dts if p.dts is not None else p.pts or 0) - first + r * step
                q.time_base = tb
                q.is_keyframe = p.is_keyframe
                q.stream = dst
                out.mux(q)
    base.unlink()
    return path
