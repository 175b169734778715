"""The real recognizer, noting the size of every image it is given in a file: a picklable
factory for ``WorkerSpec.recognizer`` or a ``DetectorHost``, to see from a test what a camera
process sent (whole frames or motion crops)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lpr.recognizer import PlateObservation, Recognizer, build_recognizer
from rtcc.config import LprSettings


class Watched:
    def __init__(self, recognizer: Recognizer, log: Path) -> None:
        self.recognizer, self.log = recognizer, log

    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"{frame.shape[1]} {frame.shape[0]}\n")
        return self.recognizer.recognize(frame)


@dataclass(frozen=True)
class WatchedFactory:
    log: str  # a file: one "width height" line per image looked at

    def __call__(self, settings: LprSettings) -> Watched:
        return Watched(build_recognizer(settings), Path(self.log))


def sizes(log: Path) -> list[tuple[int, int]]:
    """(width, height) of every image looked at, in order."""
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").split()
    return [(int(w), int(h)) for w, h in zip(lines[::2], lines[1::2], strict=True)]
