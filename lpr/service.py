"""One plate recognizer serving many cameras: the messages and the batch step, without processes.

A camera puts its frame in shared memory and sends a ``DetectRequest`` naming it; the service
answers with a ``DetectReply``. Requests that arrive together are served as one batch: the
detector runs per frame, then the plates of every frame are read in one OCR batch per model
(``recognize_batch``). The process and shared-memory plumbing live in ``cameras.detector_host``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lpr.recognizer import PlateObservation, Recognizer


@dataclass(frozen=True)
class DetectRequest:
    segment: str  # name of the shared-memory block holding the frame
    shape: tuple[int, ...]  # (height, width, 3), uint8 BGR


@dataclass(frozen=True)
class DetectReply:
    observations: list[PlateObservation] = field(default_factory=list)
    error: str | None = None
    batch: int = 1  # how many frames were served together with this one


class BatchRecognizer(Protocol):
    def recognize_many(self, frames: list[np.ndarray]) -> list[list[PlateObservation]]: ...


def recognize_batch(
    recognizer: Recognizer | BatchRecognizer, frames: list[np.ndarray]
) -> list[list[PlateObservation]]:
    """The plates of each frame; one OCR batch across all of them when the recognizer can."""
    many = getattr(recognizer, "recognize_many", None)
    if many is not None:
        result: list[list[PlateObservation]] = many(frames)
        return result
    return [recognizer.recognize(f) for f in frames]  # type: ignore[union-attr]


def serve(recognizer: Recognizer | BatchRecognizer, frames: list[np.ndarray]) -> list[DetectReply]:
    """One reply per frame, in order; a failing batch answers every frame with the error, so
    no camera waits for a reply that never comes."""
    if not frames:
        return []
    try:
        found = recognize_batch(recognizer, frames)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises many types; the camera decides
        return [
            DetectReply(error=f"{type(exc).__name__}: {exc}", batch=len(frames)) for _ in frames
        ]
    return [DetectReply(observations=obs, batch=len(frames)) for obs in found]
