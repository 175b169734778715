"""The OCR cascade: the first model alone where it is sure, the whole ensemble elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lpr.ocr import OcrEnsemble, decode

ALPHABET = "0123456789ABC_"


class FakeModel:
    """Stands in for an onnxruntime OCR model: fixed per-slot probabilities, counts calls."""

    alphabet, pad_char, slots, size, mode, regions = ALPHABET, "_", 4, (32, 16), "rgb", None

    def __init__(self, text: str, conf: float) -> None:
        self.calls: list[int] = []
        self.probs = np.full((4, len(ALPHABET)), (1 - conf) / (len(ALPHABET) - 1), np.float32)
        for slot, ch in enumerate(text.ljust(4, "_")):
            self.probs[slot, ALPHABET.index(ch)] = conf

    def run(self, crops: list[np.ndarray]) -> tuple[np.ndarray, None]:
        self.calls.append(len(crops))
        return np.stack([self.probs] * len(crops)), None


FRAME = np.zeros((100, 200, 3), np.uint8)


def test_sure_first_read_skips_the_rest() -> None:
    first, second = FakeModel("AB12", 0.995), FakeModel("AB13", 0.9)
    ens = OcrEnsemble([first, second], [0.05, 0.15], sure=0.99)  # type: ignore[list-item]
    [read] = ens.read(FRAME, [(10, 10, 60, 30)])
    assert read.text() == "AB12"
    assert first.calls == [1] and second.calls == []


def test_unsure_first_read_gets_the_whole_ensemble() -> None:
    first, second = FakeModel("AB12", 0.6), FakeModel("AB13", 0.95)
    ens = OcrEnsemble([first, second], [0.05, 0.15], sure=0.99)  # type: ignore[list-item]
    reads = ens.read(FRAME, [(10, 10, 60, 30), (100, 10, 150, 30)])
    assert [r.text() for r in reads] == ["AB13", "AB13"]  # the surer model wins slot 4
    assert first.calls == [2, 4] and second.calls == [4]  # 2 boxes x 2 paddings


def test_above_one_always_uses_the_ensemble() -> None:
    first, second = FakeModel("AB12", 0.999), FakeModel("AB12", 0.999)
    ens = OcrEnsemble([first, second], [0.1], sure=1.01)  # type: ignore[list-item]
    ens.read(FRAME, [(10, 10, 60, 30)])
    assert first.calls == [1] and second.calls == [1]


def test_cascade_reads_a_real_plate_like_the_ensemble(model_dir: Path) -> None:
    from cameras.synthetic import render_plate
    from lpr.recognizer import build_recognizer
    from rtcc.config import LprSettings

    scene = np.full((480, 640, 3), 90, np.uint8)
    scene[300:364, 190:450] = render_plate("KPD4821")
    quick = build_recognizer(LprSettings(model_dir=model_dir, ocr_sure=0.99))
    full = build_recognizer(LprSettings(model_dir=model_dir, ocr_sure=1.01))
    assert [o.text for o in quick.recognize(scene)] == [o.text for o in full.recognize(scene)]
    assert [o.text for o in quick.recognize(scene)] == ["KPD4821"]
    text, confs = decode(FakeModel("AB1", 0.9).probs, ALPHABET, "_")
    assert text == "AB1" and len(confs) == 3
