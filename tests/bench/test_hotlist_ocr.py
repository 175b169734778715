"""The OCR-like reads of ``rtcc bench hotlist`` have the shape the real OCR's outputs have."""

from __future__ import annotations

import random
import statistics

from hotlist.calibration import KEEP
from rtcc.bench import plategen as gen
from rtcc.bench.hotlist_ocr import ocr_read


def test_correct_characters_are_nearly_certain() -> None:
    rng = random.Random(3)
    tops = []
    for plate in gen.unique_plates(rng, 400):
        conf, lattice = ocr_read(rng, plate, plate)
        assert [pos[0][0] for pos in lattice] == list(plate)
        assert conf == [pos[0][1] for pos in lattice]
        assert all(p >= KEEP for pos in lattice for _, p in pos)
        assert all(sum(p for _, p in pos) <= 1.0 + 1e-6 for pos in lattice)
        tops += conf
    assert statistics.median(tops) > 0.999
    assert 0.02 < sum(t < 0.99 for t in tops) / len(tops) < 0.1


def test_a_misread_character_has_the_truth_second_often_with_real_mass() -> None:
    rng = random.Random(4)
    doubtful = confident = 0
    for plate in gen.unique_plates(rng, 400):
        text = gen.confusable_misread(rng, plate)
        if text is None:
            continue
        i = next(k for k in range(len(text)) if text[k] != plate[k])
        _, lattice = ocr_read(rng, text, plate)
        alts = dict(lattice[i])
        if alts.get(plate[i], 0.0) >= 0.05:
            doubtful += 1
        if lattice[i][0][1] >= 0.97:
            confident += 1
    assert doubtful > confident > 0  # about 55% doubtful, the rest confidently wrong
