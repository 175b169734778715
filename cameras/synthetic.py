"""A demo clip the project makes itself: cars with rendered plates driving through a scene.

Used where the real footage in ``../shared`` is absent. The real plate models read these plates.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

DEMO_PLATES = ["RTC1234", "KPD4821", "MXB3090"]


def _scene(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((height, width, 3), np.uint8)
    img[: height // 3] = (190, 170, 140)  # sky-ish wall
    img[height // 3 :] = (80, 80, 84)  # road
    noise = rng.integers(0, 12, size=img.shape, dtype=np.uint8)
    return cv2.add(img, noise)


def render_plate(text: str, width: int = 260, height: int = 64) -> np.ndarray:
    plate = np.full((height, width, 3), 245, np.uint8)
    cv2.rectangle(plate, (2, 2), (width - 3, height - 3), (30, 30, 30), 3)
    font = cv2.FONT_HERSHEY_DUPLEX
    scale = 1.7
    (tw, th), _ = cv2.getTextSize(text, font, scale, 4)
    scale *= min(1.0, (width - 24) / tw)
    (tw, th), _ = cv2.getTextSize(text, font, scale, 4)
    org = ((width - tw) // 2, (height + th) // 2)
    cv2.putText(plate, text, org, font, scale, (20, 20, 20), 4, cv2.LINE_AA)
    return plate


def _draw_car(
    frame: np.ndarray, x: int, y: int, plate: np.ndarray, colour: tuple[int, int, int]
) -> None:
    w, h = 520, 300
    cv2.rectangle(frame, (x, y), (x + w, y + h), colour, -1)
    cv2.rectangle(frame, (x + 60, y - 90), (x + w - 60, y), tuple(int(c * 0.8) for c in colour), -1)
    cv2.rectangle(frame, (x + 80, y - 80), (x + w - 80, y - 10), (60, 50, 40), -1)
    for cx in (x + 90, x + w - 90):
        cv2.circle(frame, (cx, y + h), 45, (20, 20, 20), -1)
    ph, pw = plate.shape[:2]
    px, py = x + (w - pw) // 2, y + h - ph - 50
    frame[py : py + ph, px : px + pw] = plate


def write_demo_clip(
    path: Path, plates: list[str] | None = None, *, fps: int = 10, seconds_per_car: float = 4.0
) -> list[str]:
    """Write an MP4 (or AVI fallback) with one car per plate; return the plate texts."""
    plates = plates or DEMO_PLATES
    width, height = 1280, 720
    path.parent.mkdir(parents=True, exist_ok=True)
    fourcc = cv2.VideoWriter_fourcc(*"mp4v")  # type: ignore[attr-defined]
    writer = cv2.VideoWriter(str(path), fourcc, fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"cannot write video to {path}")
    rng = np.random.default_rng(7)
    colours = [(40, 40, 160), (150, 110, 40), (60, 140, 60)]
    frames_per_car = int(fps * seconds_per_car)
    try:
        for i, text in enumerate(plates):
            plate = render_plate(text)
            for f in range(frames_per_car):
                frame = _scene(width, height, rng)
                t = f / frames_per_car
                x = int(-100 + t * 800)
                y = int(260 + t * 80)
                _draw_car(frame, x + 200, y, plate, colours[i % len(colours)])
                writer.write(frame)
            for _ in range(fps):  # an empty road between cars
                writer.write(_scene(width, height, rng))
    finally:
        writer.release()
    return plates
