"""Plate-format priors in decoding: re-rank the OCR's candidate strings by
``log P(string | OCR) + weight * log(P(string | region) / P(string | uniform))``.

``P(string | region)`` is ``rtcc.plate_formats.PlateModel``: the regions' serial formats (letters
weighted by ``serial_letter_weights``: a letter most states never issue, such as O, is rarer;
formats weighted by ``pattern_weights``) and a share of vanity plates, given the length. It is
the same model the hotlist matcher scores its background with. Dividing by the uniform
``36 ** -n`` leaves the length to the OCR. The parameters are public format knowledge
(``rtcc/data/plate_formats.json``, sources in ``rtcc/data/plate_priors.md``), not fitted to
images.

Candidates (``candidates``) are the OCR's likeliest strings (a beam over the slots' likeliest
characters, padding included, so a dropped or extra character competes too) plus, per format,
its likeliest string that fits it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lpr.formats import (
    Decoded,
    RegionRules,
    applicable_rules,
    best_in_pattern,
    constrained_decode,
    fits,
)
from rtcc.plate_formats import PlateModel, model_for

_EPS = 1e-6


def candidates(
    logp: np.ndarray,
    *,
    beam: int = 24,
    per_slot: int = 4,
    min_logp: float = math.log(1e-3),
) -> dict[tuple[int, ...], float]:
    """The ``beam`` likeliest slot paths (column per slot) under the OCR, by log-probability."""
    paths: list[tuple[float, tuple[int, ...]]] = [(0.0, ())]
    for row in logp:
        order = np.argsort(row)[::-1][:per_slot]
        options = [int(i) for i in order if row[i] >= min_logp] or [int(order[0])]
        grown = [(s + float(row[i]), path + (i,)) for s, path in paths for i in options]
        paths = heapq.nlargest(beam, grown, key=lambda x: x[0])
    return {path: s for s, path in paths}


def rerank(
    probs: np.ndarray,
    alphabet: str,
    pad_char: str | None,
    prior: PlateModel,
    patterns: Sequence[str],
    weight: float,
) -> tuple[str, list[tuple[int, int]]]:
    """The candidate string with the best OCR-plus-prior score and its (slot, column) pairs."""
    pad_col = alphabet.index(pad_char) if pad_char and pad_char in alphabet else None
    logp = np.log(np.clip(probs, _EPS, 1.0))
    found = candidates(logp)
    for pattern in patterns:
        score, idx = best_in_pattern(logp, alphabet, pad_col, pattern)
        if idx:
            tail = -1 if pad_col is None else pad_col
            found.setdefault(tuple(idx + [tail] * (logp.shape[0] - len(idx))), score)
    best: tuple[float, str, list[tuple[int, int]]] | None = None
    for path, ocr in found.items():
        kept = [(s, i) for s, i in enumerate(path) if i >= 0 and i != pad_col]
        text = "".join(alphabet[i] for _, i in kept)
        if not text:
            continue
        total = ocr + weight * prior.log_ratio(text)
        if best is None or total > best[0]:
            best = (total, text, kept)
    if best is None:
        return "", []
    return best[1], best[2]


@dataclass(frozen=True)
class Decoder:
    """Decodes slot probabilities of one region setting: the format prior when ``weight`` > 0,
    else ``formats.constrained_decode`` (hard patterns within ``margin``)."""

    rules: tuple[RegionRules, ...]
    weight: float
    margin: float

    def decode(
        self,
        probs: np.ndarray,
        alphabet: str,
        pad_char: str | None,
        region: str | None,
        region_prob: float,
    ) -> Decoded:
        rules = applicable_rules(self.rules, region, region_prob)
        patterns = [p for r in rules for p in r.patterns]
        if self.weight <= 0:
            return constrained_decode(probs, alphabet, pad_char, patterns, self.margin)
        text, kept = rerank(probs, alphabet, pad_char, model_for(rules), patterns, self.weight)
        conf = tuple(float(probs[s, i]) for s, i in kept)
        return Decoded(text, conf, any(fits(text, p) for p in patterns))
