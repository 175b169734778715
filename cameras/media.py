"""Where a worker puts JPEGs: read snapshots and crops, and the camera's latest frame."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np


def write_jpeg(path: Path, image: np.ndarray, quality: int = 85) -> int:
    """Write atomically (temp file + rename) so readers never see half a JPEG; return bytes."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(buf.tobytes())
    os.replace(tmp, path)
    return len(buf)


def read_media_paths(
    camera_id: str, track_key: str, at: datetime, status: str = "final"
) -> tuple[str, str]:
    """Relative paths (to data_dir) of a read's snapshot and crop. A preview and the final read
    of the same track get distinct files: a hit raised on the preview keeps its images."""
    base = f"media/reads/{camera_id}/{at:%Y-%m-%d}/{track_key}"
    if status != "final":
        base = f"{base}-{status}"
    return f"{base}-snap.jpg", f"{base}-crop.jpg"


def live_frame_path(data_dir: Path, camera_id: str) -> Path:
    return data_dir / "live" / f"{camera_id}.jpg"
