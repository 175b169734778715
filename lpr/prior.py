"""Plate-format priors in decoding: re-rank the OCR's candidate strings by
``log P(string | OCR) + weight * log(P(string | region) / P(string | uniform))``.

``P(string | region)`` (``FormatPrior``) is, for the string's length, a mixture of the region's
serial formats (``@`` a letter, weighted by ``serial_letter_weights``: a letter most states
never issue, such as O, is rarer; ``#`` a digit; formats weighted by ``pattern_weights``) and,
with share ``vanity_share``, of vanity plates: runs of letters and of digits, each character
keeping the class of the previous one with probability ``class_run_stay``. Dividing by the
uniform ``36 ** -n`` leaves the length to the OCR. The parameters are public format knowledge
(``lpr/data/plate_formats.json``, sources in ``lpr/data/plate_priors.md``), not fitted to images.

Candidates (``candidates``) are the OCR's likeliest strings (a beam over the slots' likeliest
characters, padding included, so a dropped or extra character competes too) plus, per format,
its likeliest string that fits it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lpr.formats import (
    LETTERS,
    Decoded,
    RegionRules,
    applicable_rules,
    best_in_pattern,
    char_allowed,
    constrained_decode,
    fits,
    prior_parameters,
)

_LOG36 = math.log(36)
_LOG10 = math.log(10)
_LOG26 = math.log(26)
_EPS = 1e-6


@dataclass(frozen=True)
class _Region:
    """One region's serial formats, ready to score strings."""

    by_length: dict[int, tuple[tuple[str, float], ...]]  # pattern, share among that length
    log_letter: dict[str, float]  # log P(letter) in an '@' slot


def _region(rules: RegionRules) -> _Region:
    weights = {p: rules.pattern_weights.get(p, 1.0) for p in rules.patterns}
    by_length: dict[int, list[tuple[str, float]]] = {}
    for pattern, w in weights.items():
        by_length.setdefault(len(pattern), []).append((pattern, w))
    shares = {
        n: tuple((p, w / sum(x for _, x in pats)) for p, w in pats) for n, pats in by_length.items()
    }
    letter_w = {c: rules.serial_letter_weights.get(c, 1.0) for c in LETTERS}
    total = sum(letter_w.values())
    log_letter = {c: math.log(w / total) if w > 0 else -math.inf for c, w in letter_w.items()}
    return _Region(shares, log_letter)


def _log_fit(text: str, pattern: str, log_letter: dict[str, float]) -> float:
    total = 0.0
    for ch, slot in zip(text, pattern, strict=True):
        if not char_allowed(slot, ch):
            return -math.inf
        if slot == "@":
            total += log_letter[ch]
        elif slot == "#":
            total -= _LOG10
        elif slot == "?":
            total -= _LOG36
    return total


def log_vanity(text: str, stay: float) -> float:
    """log P(text | length) of a vanity plate: runs of letters and digits, uniform within."""
    if not text:
        return 0.0
    total = math.log(0.5)
    for prev, ch in zip(text, text[1:], strict=False):
        total += math.log(stay if prev.isdigit() == ch.isdigit() else 1.0 - stay)
    return total - sum(_LOG10 if ch.isdigit() else _LOG26 for ch in text)


class FormatPrior:
    """``P(string | region)`` of the applicable regions (an equal mixture), given the length."""

    def __init__(self, rules: Sequence[RegionRules]) -> None:
        params = prior_parameters()
        self.vanity_share = params.vanity_share
        self.stay = params.class_run_stay
        self.regions = tuple(_region(r) for r in rules)
        self._cache: dict[str, float] = {}

    def log_prob(self, text: str) -> float:
        value = self._cache.get(text)
        if value is None:
            value = self._log_prob(text)
            if len(self._cache) < 100_000:
                self._cache[text] = value
        return value

    def _log_prob(self, text: str) -> float:
        vanity = log_vanity(text, self.stay)
        serial = [
            sum(share * math.exp(_log_fit(text, p, r.log_letter)) for p, share in pats)
            for r in self.regions
            if (pats := r.by_length.get(len(text)))
        ]
        if not serial:
            return vanity
        fit = sum(serial) / len(serial)
        v = self.vanity_share
        return math.log(v * math.exp(vanity) + (1 - v) * fit)

    def log_ratio(self, text: str) -> float:
        """log of P(text | region) over the uniform 36 ** -len(text)."""
        return self.log_prob(text) + len(text) * _LOG36


@lru_cache(maxsize=32)
def prior_for(rules: tuple[RegionRules, ...]) -> FormatPrior:
    return FormatPrior(rules)


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
    prior: FormatPrior,
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
        text, kept = rerank(probs, alphabet, pad_char, prior_for(rules), patterns, self.weight)
        conf = tuple(float(probs[s, i]) for s, i in kept)
        return Decoded(text, conf, any(fits(text, p) for p in patterns))
