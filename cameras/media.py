"""Where a worker puts JPEGs: read snapshots and crops, and the camera's latest frame.

Every JPEG is written all or nothing (:func:`rtcc.datadir.write_atomic`). A photo that cannot
be written (a full disk) never costs the read: :class:`MediaStore` gives no path for it, so the
read is sent and matched against the hotlists without its photo, and :attr:`MediaStore.error`
says why (the camera's error) until a later image is written again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from rtcc.datadir import write_atomic
from rtcc.storage import is_disk_full

log = logging.getLogger(__name__)

LIVE_QUALITY = 70


def write_jpeg(path: Path, image: np.ndarray, quality: int = 85, *, durable: bool = True) -> int:
    """Write atomically so readers never see half a JPEG; return its bytes. ``OSError`` if the
    disk refuses it (nothing is left behind then)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    write_atomic(path, buf.tobytes(), durable=durable)
    return len(buf)


class MediaStore:
    """One camera's JPEGs under ``data_dir``; a failed write is reported, never raised."""

    def __init__(self, data_dir: Path, camera_id: str) -> None:
        self.data_dir = data_dir
        self.camera_id = camera_id
        self.error: str | None = None  # set while images cannot be written

    def save(self, rel: str, image: np.ndarray, *, quality: int = 85) -> str | None:
        """Write a read's photo at ``rel`` (relative to ``data_dir``, flushed to disk): ``rel``,
        or None if it could not be written."""
        return rel if self._write(self.data_dir / rel, image, quality, durable=True) else None

    def live(self, image: np.ndarray) -> bool:
        """Replace the camera's latest frame (not evidence: not flushed to disk)."""
        path = live_frame_path(self.data_dir, self.camera_id)
        return self._write(path, image, LIVE_QUALITY, durable=False)

    def _write(self, path: Path, image: np.ndarray, quality: int, *, durable: bool) -> bool:
        try:
            write_jpeg(path, image, quality, durable=durable)
        except OSError as exc:
            why = "disk full" if is_disk_full(exc) else (exc.strerror or str(exc))
            error = f"images not saved: {why} ({self.data_dir})"
            if error != self.error:
                log.error("camera %s: %s", self.camera_id, error)
            self.error = error
            return False
        if self.error is not None:
            log.info("camera %s: images are saved again", self.camera_id)
            self.error = None
        return True


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
