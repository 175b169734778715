"""The recognizer interface and its production implementation around fast-alpr's models.

Models load from ``lpr.model_dir`` when set (offline, air-gapped sites) and by fast-alpr hub
name otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import onnxruntime as ort

from lpr import bundle
from rtcc.config import LprSettings
from rtcc.errors import ModelError
from rtcc.plates import normalize_plate


@dataclass(frozen=True)
class PlateObservation:
    """One plate seen in one frame."""

    text: str  # normalized A-Z0-9
    confidence: float  # mean per-character confidence
    char_confidences: tuple[float, ...]
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in frame pixels
    detection_confidence: float
    region: str | None = None


class Recognizer(Protocol):
    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        """Detect and read every plate in a BGR frame."""
        ...


def _session_options(threads: int) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return opts


def load_detector(settings: LprSettings) -> Any:
    from open_image_models.detection.core.hub import DETECTION_MODELS
    from open_image_models.detection.factory import create_detector

    opts = _session_options(settings.threads)
    providers = ["CPUExecutionProvider"]
    name = settings.detector_model
    try:
        if settings.model_dir is not None:
            spec = DETECTION_MODELS.get(name)
            path = bundle.detector_file(settings.model_dir, name)
            return create_detector(
                path,
                backend=spec.backend if spec else "yolo_v9",
                class_labels=spec.class_labels if spec else ["License Plate"],
                conf_thresh=settings.detector_conf_threshold,
                providers=providers,
                sess_options=opts,
            )
        return create_detector(
            name,
            conf_thresh=settings.detector_conf_threshold,
            providers=providers,
            sess_options=opts,
        )
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - onnxruntime and the hub raise many types
        raise ModelError(f"cannot load detector {name!r}: {exc}") from exc


def load_ocr(settings: LprSettings, model: str) -> Any:
    from fast_plate_ocr import LicensePlateRecognizer

    opts = _session_options(settings.threads)
    try:
        if settings.model_dir is not None:
            files = bundle.ocr_files(settings.model_dir, model)
            return LicensePlateRecognizer(
                onnx_model_path=files.onnx,
                plate_config_path=files.config,
                device="cpu",
                sess_options=opts,
            )
        return LicensePlateRecognizer(hub_ocr_model=model, device="cpu", sess_options=opts)
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot load OCR model {model!r}: {exc}") from exc


class FastAlprRecognizer:
    """Detector + OCR on onnxruntime, reading every detected plate of a frame."""

    def __init__(self, settings: LprSettings) -> None:
        self.settings = settings
        self.detector = load_detector(settings)
        self.ocr = load_ocr(settings, settings.ocr_model)

    def _prepare(self, crop: np.ndarray) -> np.ndarray:
        mode = self.ocr.config.image_color_mode
        if mode == "grayscale":
            return cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        if mode == "rgb":
            return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        return crop

    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        height, width = frame.shape[:2]
        detections = self.detector.predict(frame)
        crops, boxes = [], []
        for det in detections:
            bb = det.bounding_box
            x1, y1 = max(int(bb.x1), 0), max(int(bb.y1), 0)
            x2, y2 = min(int(bb.x2), width), min(int(bb.y2), height)
            if x2 - x1 < 4 or y2 - y1 < 4:
                continue
            crops.append(self._prepare(frame[y1:y2, x1:x2]))
            boxes.append(((x1, y1, x2, y2), float(det.confidence)))
        if not crops:
            return []
        predictions = self.ocr.run(crops, return_confidence=True)
        out = []
        for ((box, det_conf), pred) in zip(boxes, predictions, strict=True):
            text = normalize_plate(pred.plate)
            probs = tuple(float(p) for p in (pred.char_probs.tolist() if pred.char_probs is not None else []))
            probs = probs[: len(pred.plate)] if probs else ()
            conf = float(np.mean(probs)) if probs else 0.0
            if text:
                out.append(PlateObservation(text, conf, probs, box, det_conf, pred.region))
        return out


def build_recognizer(settings: LprSettings) -> Recognizer:
    return FastAlprRecognizer(settings)


def default_model_dir(candidates: list[Path]) -> Path | None:
    """First folder in ``candidates`` that holds a model bundle."""
    for path in candidates:
        if (path / bundle.DETECTOR_ROOT).is_dir() and (path / bundle.OCR_ROOT).is_dir():
            return path
    return None
