"""Plate OCR on raw per-slot probabilities, optionally combining several models and crop paddings.

fast-plate-ocr models emit, for every character slot, a probability vector over their alphabet.
``OcrEnsemble.read`` runs each model on each padded crop in one batch, averages the vectors and
returns them with the decoded text, so later stages (format rules, multi-frame voting) can weigh
every character and its alternatives instead of trusting the top string alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

BoxT = tuple[int, int, int, int]


@dataclass(frozen=True)
class SlotProbs:
    """Averaged per-slot probabilities (slots x alphabet) for one plate crop."""

    probs: np.ndarray = field(compare=False)
    alphabet: str
    pad_char: str
    region: str | None = None
    region_prob: float = 0.0

    def text(self) -> str:
        return decode(self.probs, self.alphabet, self.pad_char)[0]


def decode(probs: np.ndarray, alphabet: str, pad_char: str) -> tuple[str, tuple[float, ...]]:
    """Argmax text (pad characters dropped) and the confidence of each kept character."""
    idx = probs.argmax(axis=-1)
    chars, confs = [], []
    for slot, i in enumerate(idx):
        ch = alphabet[i]
        if ch == pad_char:
            continue
        chars.append(ch)
        confs.append(float(probs[slot, i]))
    return "".join(chars), tuple(confs)


def top_k(
    probs: np.ndarray, alphabet: str, pad_char: str, k: int
) -> tuple[tuple[tuple[str, float], ...], ...]:
    """For each non-pad slot of the argmax text: its ``k`` likeliest characters."""
    out = []
    for row in probs:
        order = np.argsort(row)[::-1]
        if alphabet[order[0]] == pad_char:
            continue
        out.append(
            tuple((alphabet[i], float(row[i])) for i in order[:k] if alphabet[i] != pad_char)
        )
    return tuple(out)


def pad_box(box: BoxT, pad: float, width: int, height: int) -> BoxT:
    """Grow a box by ``pad`` of its width on each side (and 1.3x that share of its height)."""
    x1, y1, x2, y2 = box
    dx, dy = int(round((x2 - x1) * pad)), int(round((y2 - y1) * pad * 1.3))
    return max(0, x1 - dx), max(0, y1 - dy), min(width, x2 + dx), min(height, y2 + dy)


class OcrModel:
    """One fast-plate-ocr model, called on its onnxruntime session for the raw slot outputs."""

    def __init__(self, recognizer: Any) -> None:
        self.rec = recognizer
        cfg = recognizer.config
        self.alphabet: str = cfg.alphabet
        self.pad_char: str = cfg.pad_char
        self.slots: int = cfg.max_plate_slots
        self.size = (int(cfg.img_width), int(cfg.img_height))
        self.mode: str = cfg.image_color_mode
        self.regions: list[str] | None = (
            list(cfg.plate_regions) if recognizer.has_region_head else None
        )

    def prepare(self, crop: np.ndarray) -> np.ndarray:
        img = cv2.resize(crop, self.size, interpolation=cv2.INTER_LINEAR)
        if self.mode == "grayscale":
            return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None]
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)

    def run(self, crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, slots, alphabet) probabilities and, if the model has one, (N, regions)."""
        batch = np.stack([self.prepare(c) for c in crops]).astype(np.uint8)
        names = [self.rec.plate_output_name]
        if self.regions is not None:
            names.append(self.rec.region_output_name)
        outputs = self.rec.model.run(names, {"input": batch})
        plates = np.asarray(outputs[0], dtype=np.float32).reshape(
            len(crops), self.slots, len(self.alphabet)
        )
        regions = np.asarray(outputs[1], dtype=np.float32) if self.regions is not None else None
        return plates, regions


def _crop(frame: np.ndarray, box: BoxT, pad: float) -> np.ndarray:
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = pad_box(box, pad, w, h)
    return frame[y1:y2, x1:x2]


def _to_alphabet(
    probs: np.ndarray, src: OcrModel, alphabet: str, pad: str, slots: int
) -> np.ndarray:
    """Re-index one model's (N, slots, |alphabet|) output onto the ensemble's alphabet and slots."""
    out = np.zeros((probs.shape[0], slots, len(alphabet)), dtype=np.float32)
    out[:, :, alphabet.index(pad)] = 1.0  # missing trailing slots are padding
    cols = [alphabet.index(ch if ch != src.pad_char else pad) for ch in src.alphabet]
    n = min(slots, src.slots)
    out[:, :n, :] = 0.0
    for j, col in enumerate(cols):
        out[:, :n, col] += probs[:, :n, j]
    return out


class OcrEnsemble:
    """Average the slot probabilities of several models over several paddings of each crop."""

    def __init__(
        self, models: list[OcrModel], paddings: list[float], *, sure: float = 1.01
    ) -> None:
        if not models:
            raise ValueError("at least one OCR model")
        self.models = models
        self.paddings = paddings or [0.0]
        # Cascade: a crop the first model reads with every character at least this sure is
        # not read again (above 1.0: every crop gets the whole ensemble).
        self.sure = sure
        first = models[0]
        self.alphabet, self.pad_char = first.alphabet, first.pad_char
        self.slots = max(m.slots for m in models)

    def read(self, frame: np.ndarray, boxes: list[BoxT]) -> list[SlotProbs]:
        """One SlotProbs per box: the first model alone where it is sure, else the ensemble."""
        return self.read_many([(frame, box) for box in boxes])

    def read_many(self, items: list[tuple[np.ndarray, BoxT]]) -> list[SlotProbs]:
        """``read`` over boxes of several frames (several cameras) in one batch per model."""
        if not items:
            return []
        if self.sure > 1.0 or (len(self.models) == 1 and len(self.paddings) == 1):
            return self._ensemble(items)
        first = self.models[0]
        crops = [_crop(frame, box, self.paddings[0]) for frame, box in items]
        probs, regions = first.run(crops)
        quick = _to_alphabet(probs, first, self.alphabet, self.pad_char, self.slots)
        out: list[SlotProbs | None] = []
        for i in range(len(items)):
            _, confs = decode(quick[i], self.alphabet, self.pad_char)
            if confs and min(confs) >= self.sure:
                region, rprob = None, 0.0
                if regions is not None and first.regions is not None:
                    region, rprob = first.regions[int(regions[i].argmax())], float(regions[i].max())
                out.append(SlotProbs(quick[i], self.alphabet, self.pad_char, region, rprob))
            else:
                out.append(None)
        unsure = [i for i, r in enumerate(out) if r is None]
        if unsure:
            full = self._ensemble([items[i] for i in unsure])
            for i, read in zip(unsure, full, strict=True):
                out[i] = read
        return [r for r in out if r is not None]

    def _ensemble(self, boxes: list[tuple[np.ndarray, BoxT]]) -> list[SlotProbs]:
        crops = [_crop(frame, box, pad) for frame, box in boxes for pad in self.paddings]
        total = np.zeros((len(crops), self.slots, len(self.alphabet)), dtype=np.float32)
        region_src: tuple[OcrModel, np.ndarray] | None = None
        for model in self.models:
            probs, regions = model.run(crops)
            total += _to_alphabet(probs, model, self.alphabet, self.pad_char, self.slots)
            if regions is not None and region_src is None:
                region_src = (model, regions)
        per_box = total.reshape(len(boxes), len(self.paddings), self.slots, -1).mean(axis=1)
        per_box /= len(self.models)
        out = []
        for i in range(len(boxes)):
            region, rprob = None, 0.0
            if region_src is not None and region_src[0].regions is not None:
                r = region_src[1].reshape(len(boxes), len(self.paddings), -1).mean(axis=1)[i]
                region, rprob = region_src[0].regions[int(r.argmax())], float(r.max())
            out.append(SlotProbs(per_box[i], self.alphabet, self.pad_char, region, rprob))
        return out
