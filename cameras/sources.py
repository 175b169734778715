"""Video sources: frames with their presentation time, and clear errors when they fail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from rtcc.config import CameraSettings
from rtcc.errors import RtccError

_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def redact_url(text: str) -> str:
    """Hide credentials in any URL inside ``text``: ``rtsp://u:p@h/x`` → ``rtsp://***@h/x``."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", text)


class SourceError(RtccError):
    """A camera source cannot be opened or read; the message never holds credentials."""

    code = "source_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(redact_url(message), **details)


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR
    pts: float  # seconds since the start of the stream
    index: int


class FileSource:
    """A local video file, optionally looped."""

    def __init__(self, path: str, *, loop: bool) -> None:
        self.path = Path(path)
        self.loop = loop
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise SourceError(f"not a readable video file: {self.path}")
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 25.0
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"no decodable video frames in {self.path}")
        self._pending: np.ndarray | None = first
        self._index = 0
        self._offset = 0.0  # pts offset added at each loop

    def frames(self) -> Iterator[Frame]:
        while True:
            if self._pending is not None:
                image, self._pending = self._pending, None
            else:
                ok, image = self._cap.read()
                if not ok or image is None:
                    if not self.loop or self._index == 0:
                        return
                    self._offset += (self._index_in_pass + 1) / self.fps
                    self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    self._pass_start = self._index
                    continue
            self._index_in_pass = self._index - getattr(self, "_pass_start", 0)
            yield Frame(image, self._offset + self._index_in_pass / self.fps, self._index)
            self._index += 1

    def close(self) -> None:
        self._cap.release()


def open_source(camera: CameraSettings) -> FileSource:
    url = camera.url
    if url.startswith("file://"):
        url = url[len("file://") :]
    if "://" in url:
        raise SourceError(f"unsupported camera URL scheme: {url}")
    return FileSource(url, loop=camera.loop)
