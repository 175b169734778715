"""The recognizer interface and its production implementation around fast-alpr's models.

Models load from ``lpr.model_dir`` when set (offline, air-gapped sites) and by fast-alpr hub
name otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import cv2
import numpy as np

from lpr import bundle, formats, zoom
from lpr.ocr import OcrEnsemble, OcrModel, SlotProbs, top_k
from lpr.prior import Decoder
from rtcc.config import LprSettings
from rtcc.errors import ModelError
from rtcc.plates import normalize_plate

if TYPE_CHECKING:  # imported where models load: a camera fed by the shared detector never needs it
    import onnxruntime as ort


@dataclass(frozen=True)
class PlateObservation:
    """One plate seen in one frame."""

    text: str  # normalized A-Z0-9, format-corrected when a rule applied
    confidence: float  # mean per-character confidence (lowered when no format rule fits)
    char_confidences: tuple[float, ...]
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in frame pixels
    detection_confidence: float
    region: str | None = None
    format_ok: bool = True
    raw_text: str = ""  # the OCR's own top string
    # For each character of ``raw_text``: its likeliest characters with probabilities.
    alternatives: tuple[tuple[tuple[str, float], ...], ...] = ()
    # (slots x alphabet) averaged OCR probabilities; None for recognizers without them.
    slot_probs: np.ndarray | None = field(default=None, compare=False, repr=False)
    alphabet: str = ""
    pad_char: str = ""
    region_prob: float = 0.0


class Recognizer(Protocol):
    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        """Detect and read every plate in a BGR frame."""
        ...


def session_options(threads: int) -> ort.SessionOptions:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: a spinning pool burns the cores that the
    # other cameras (or the other models of a shared detector) need.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return opts


def detection_floor(settings: LprSettings) -> float:
    """The lowest detection confidence a recognizer looks at (the rescue threshold or the
    second look's floor if lower)."""
    floors = (settings.detector_rescue_threshold, settings.zoom_floor)
    return min([settings.detector_conf_threshold, *[f for f in floors if f is not None]])


def load_detector(settings: LprSettings, conf: float | None = None) -> Any:
    """The plate detector, keeping boxes of at least ``conf`` (default: the configured one)."""
    from open_image_models.detection.core.hub import DETECTION_MODELS
    from open_image_models.detection.factory import create_detector

    threshold = settings.detector_conf_threshold if conf is None else conf
    opts = session_options(settings.threads)
    providers = ["CPUExecutionProvider"]
    name = settings.detector_model
    try:
        if settings.model_dir is not None:
            spec = DETECTION_MODELS.get(name)  # type: ignore[call-overload]
            path = bundle.detector_file(settings.model_dir, name)
            return create_detector(
                path,
                backend=spec.backend if spec else "yolo_v9",
                class_labels=spec.class_labels if spec else ["License Plate"],
                conf_thresh=threshold,
                providers=providers,
                sess_options=opts,
            )
        return create_detector(
            name,
            conf_thresh=threshold,
            providers=providers,
            sess_options=opts,
        )
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - onnxruntime and the hub raise many types
        raise ModelError(f"cannot load detector {name!r}: {exc}") from exc


def load_ocr(settings: LprSettings, model: str) -> Any:
    from fast_plate_ocr import LicensePlateRecognizer

    opts = session_options(settings.threads)
    try:
        if settings.model_dir is not None:
            files = bundle.ocr_files(settings.model_dir, model)
            return LicensePlateRecognizer(
                onnx_model_path=files.onnx,
                plate_config_path=files.config,
                device="cpu",
                sess_options=opts,
            )
        return LicensePlateRecognizer(
            hub_ocr_model=model,  # type: ignore[arg-type]  # checked by the hub at load
            device="cpu",
            sess_options=opts,
        )
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot load OCR model {model!r}: {exc}") from exc


def _in_masks(box: tuple[int, int, int, int], masks: list[np.ndarray]) -> bool:
    cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
    return any(cv2.pointPolygonTest(m, (cx, cy), False) >= 0 for m in masks)


class FastAlprRecognizer:
    """Detector + OCR ensemble on onnxruntime; all plates of a frame are read in one batch."""

    def __init__(self, settings: LprSettings) -> None:
        self.settings = settings
        self.detector = load_detector(settings, detection_floor(settings))
        names = [
            settings.ocr_model,
            *[m for m in settings.extra_ocr_models if m != settings.ocr_model],
        ]
        self.ocr = OcrEnsemble(
            [OcrModel(load_ocr(settings, n)) for n in names],
            list(settings.ocr_paddings),
            sure=settings.ocr_sure,
        )
        self.rules = formats.rules_for(settings.regions)
        self.decoder = Decoder(self.rules, settings.format_prior_weight, settings.format_margin)
        self.masks = [np.asarray(m, dtype=np.float32).reshape(-1, 1, 2) for m in settings.masks]
        self.input_side = int(getattr(self.detector, "img_size", (416, 416))[0])

    def _boxes(self, image: np.ndarray) -> list[tuple[tuple[int, int, int, int], float]]:
        height, width = image.shape[:2]
        out = []
        for det in self.detector.predict(image):
            bb = det.bounding_box
            box = (
                max(int(bb.x1), 0),
                max(int(bb.y1), 0),
                min(int(bb.x2), width),
                min(int(bb.y2), height),
            )
            out.append((box, float(det.confidence)))
        return sorted(out, key=lambda bc: -bc[1])

    def detect(self, frame: np.ndarray) -> list[tuple[tuple[int, int, int, int], float]]:
        """Plate boxes at the detector threshold, weak ones confirmed by a second look, and
        weak ones down to the rescue threshold (kept later only if their read is sure)."""
        s = self.settings
        main, rescue = s.detector_conf_threshold, s.detector_rescue_threshold
        keep_floor = main if rescue is None else min(rescue, main)
        size, looks = (frame.shape[1], frame.shape[0]), 0
        boxes: list[tuple[tuple[int, int, int, int], float]] = []
        for box, conf in self._boxes(frame):
            weak = s.zoom_floor is not None and s.zoom_floor <= conf < main
            if weak and looks < s.zoom_max_boxes and zoom.window(box, size, self.input_side):
                looks += 1
                seen = zoom.second_look(frame, box, self._boxes, self.input_side, main)
                box, conf = seen if seen is not None else (box, conf)
            if conf < keep_floor or box[2] - box[0] < 4 or box[3] - box[1] < 4:
                continue
            if _in_masks(box, self.masks) or any(zoom.same_place(box, b) for b, _ in boxes):
                continue
            boxes.append((box, conf))
        return boxes

    def observe(
        self, box: tuple[int, int, int, int], det_conf: float, read: SlotProbs
    ) -> PlateObservation | None:
        s = self.settings
        patterns = formats.applicable(self.rules, read.region, read.region_prob)
        dec = self.decoder.decode(
            read.probs, read.alphabet, read.pad_char, read.region, read.region_prob
        )
        text = normalize_plate(dec.text)
        if not text or len(text) != len(dec.text):
            return None
        conf = float(np.mean(dec.char_confidences)) if dec.char_confidences else 0.0
        if patterns and not dec.format_ok:
            conf *= s.unformatted_penalty
        raw = read.text()
        return PlateObservation(
            text=text,
            confidence=conf,
            char_confidences=dec.char_confidences,
            box=box,
            detection_confidence=det_conf,
            region=read.region,
            format_ok=dec.format_ok if patterns else not self.rules,
            raw_text=raw,
            alternatives=top_k(read.probs, read.alphabet, read.pad_char, s.top_k),
            slot_probs=read.probs,
            alphabet=read.alphabet,
            pad_char=read.pad_char,
            region_prob=read.region_prob,
        )

    def _rescued(self, obs: PlateObservation) -> bool:
        """A weak detection counts only as a plate read sure of every one of at least four
        characters, in a region's format unless the OCR is sure the plate is from a region
        without format rules here."""
        sure = min(obs.char_confidences, default=0.0) >= self.settings.rescue_min_confidence
        if not sure or len(obs.text) < 4:
            return False
        return obs.format_ok or not formats.applicable(self.rules, obs.region, obs.region_prob)

    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        return self.recognize_many([frame])[0]

    def recognize_many(self, frames: list[np.ndarray]) -> list[list[PlateObservation]]:
        """``recognize`` for several frames, the plates of all of them read in one OCR batch."""
        found = [(i, box, conf) for i, f in enumerate(frames) for box, conf in self.detect(f)]
        reads = self.ocr.read_many([(frames[i], box) for i, box, _ in found])
        out: list[list[PlateObservation]] = [[] for _ in frames]
        for (i, box, det_conf), read in zip(found, reads, strict=True):
            obs = self.observe(box, det_conf, read)
            if obs is None or len(obs.text) < self.settings.min_length:
                continue
            if self.settings.drop_unformatted and not obs.format_ok:
                continue
            if det_conf < self.settings.detector_conf_threshold and not self._rescued(obs):
                continue
            out[i].append(obs)
        return out


def build_recognizer(settings: LprSettings) -> Recognizer:
    return FastAlprRecognizer(settings)


def default_model_dir(candidates: list[Path]) -> Path | None:
    """First folder in ``candidates`` that holds a model bundle."""
    for path in candidates:
        if (path / bundle.DETECTOR_ROOT).is_dir() and (path / bundle.OCR_ROOT).is_dir():
            return path
    return None
