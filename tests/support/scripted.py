"""A recognizer that reads what a script says instead of running models.

``ScriptedFactory`` is a picklable factory for ``WorkerSpec.recognizer``: the real worker process
builds the recognizer from it. For a frame of a ``tests.support.clips`` clip it finds the bright
rectangle and, if the frame's media time falls in a scripted range, returns that range's plate at
the rectangle's box, with the scripted per-character alternatives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lpr.recognizer import PlateObservation
from rtcc.config import LprSettings
from rtcc.plates import CharAlternatives
from tests.support.clips import find_plate, frame_index


def sure(plate: str, p: float = 0.96) -> CharAlternatives:
    """A lattice with every character certain to ``p``."""
    return tuple(((ch, p),) for ch in plate)


@dataclass(frozen=True)
class Reading:
    start_s: float
    end_s: float
    plate: str
    lattice: CharAlternatives = ()  # defaults to every character at 0.96

    def observation(self, box: tuple[int, int, int, int]) -> PlateObservation:
        lattice = self.lattice or sure(self.plate)
        chars = tuple(dict(pos).get(ch, 0.0) for ch, pos in zip(self.plate, lattice, strict=True))
        return PlateObservation(
            text=self.plate,
            confidence=float(np.mean(chars)),
            char_confidences=chars,
            box=box,
            detection_confidence=0.9,
            raw_text=self.plate,
            alternatives=lattice,
        )


class ScriptedRecognizer:
    def __init__(self, script: tuple[Reading, ...], fps: int, delay_s: float = 0.0) -> None:
        self.script, self.fps, self.delay_s = script, fps, delay_s
        self.calls = 0

    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)  # stands in for the models' compute time
        box = find_plate(frame)
        if box is None:
            return []
        t = frame_index(frame) / self.fps
        return [r.observation(box) for r in self.script if r.start_s <= t < r.end_s]


@dataclass(frozen=True)
class ScriptedFactory:
    script: tuple[Reading, ...]
    fps: int = 10
    delay_s: float = 0.0  # per frame, as if the models took this long

    def __call__(self, settings: LprSettings) -> ScriptedRecognizer:
        return ScriptedRecognizer(self.script, self.fps, self.delay_s)
