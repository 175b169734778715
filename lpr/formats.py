"""Plate format rules per region, and format-constrained decoding of OCR slot probabilities.

A rule is a character-class pattern: ``@`` a letter, ``#`` a digit, ``?`` either, anything else a
literal (``#@@@###`` is California's 1ABC234). The rules are core's (``rtcc.plate_formats``, data
in ``rtcc/data/plate_formats.json``). When the OCR's top string fits no rule, the best string
that does fit one is taken instead, but only if the model found it nearly as likely (within
``margin`` in log-probability): that turns O/0, I/1, B/8 confusions into the right class without
overriding characters the model is sure of. That hard rule is the decoder when
``lpr.format_prior_weight`` is 0; by default ``lpr.prior`` weighs every candidate by a soft
format prior instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rtcc.plate_formats import (
    PriorParameters,
    RegionRules,
    char_allowed,
    fits,
    prior_parameters,
    rules_for,
    shipped_rules,
)

# The rules and their data are core's (``rtcc.plate_formats``, shared with the hotlist matcher);
# decoding with them is this module's.
__all__ = [
    "Decoded",
    "PriorParameters",
    "RegionRules",
    "applicable",
    "applicable_rules",
    "best_in_pattern",
    "char_allowed",
    "constrained_decode",
    "fits",
    "prior_parameters",
    "rules_for",
    "shipped_rules",
]

_EPS = 1e-6


@dataclass(frozen=True)
class Decoded:
    text: str
    char_confidences: tuple[float, ...]
    format_ok: bool
    rule_region: str | None = None


def applicable_rules(
    rules: tuple[RegionRules, ...], region: str | None, region_prob: float, veto: float = 0.8
) -> tuple[RegionRules, ...]:
    """Regions to try; none when the OCR is sure (``veto``) the plate is from another region."""
    if region is None or region == "Unknown" or region_prob < veto:
        return rules
    if not any(r.covers(region) for r in rules):
        return ()
    return rules


def applicable(
    rules: tuple[RegionRules, ...], region: str | None, region_prob: float, veto: float = 0.8
) -> list[str]:
    """Patterns of ``applicable_rules``."""
    return [p for r in applicable_rules(rules, region, region_prob, veto) for p in r.patterns]


@lru_cache(maxsize=256)
def _masks(pattern: str, alphabet: str) -> np.ndarray:
    return np.array([[char_allowed(p, ch) for ch in alphabet] for p in pattern], dtype=bool)


def best_in_pattern(
    logp: np.ndarray, alphabet: str, pad_col: int | None, pattern: str
) -> tuple[float, list[int]]:
    slots = logp.shape[0]
    if len(pattern) > slots:
        return -math.inf, []
    masked = np.where(_masks(pattern, alphabet), logp[: len(pattern)], -np.inf)
    idx = masked.argmax(axis=1)
    score = float(masked[np.arange(len(pattern)), idx].sum())
    if len(pattern) < slots:
        tail = (
            logp[len(pattern) :, pad_col]
            if pad_col is not None
            else np.full(slots - len(pattern), math.log(_EPS))
        )
        score += float(tail.sum())
    return score, idx.tolist()


def constrained_decode(
    probs: np.ndarray, alphabet: str, pad_char: str | None, patterns: list[str], margin: float
) -> Decoded:
    """Decode (slots x alphabet) probabilities, preferring a string that fits a pattern."""
    pad_col = alphabet.index(pad_char) if pad_char and pad_char in alphabet else None
    logp = np.log(np.clip(probs, _EPS, 1.0))
    top = probs.argmax(axis=1)
    raw_chars = [(alphabet[i], float(probs[s, i])) for s, i in enumerate(top) if i != pad_col]
    raw_text = "".join(c for c, _ in raw_chars)
    raw_conf = tuple(p for _, p in raw_chars)
    if not patterns:
        return Decoded(raw_text, raw_conf, False)
    if any(fits(raw_text, p) for p in patterns):
        return Decoded(raw_text, raw_conf, True)
    raw_score = float(logp[np.arange(len(top)), top].sum())
    best: tuple[float, str, list[int]] | None = None
    for pattern in patterns:
        score, idx = best_in_pattern(logp, alphabet, pad_col, pattern)
        if idx and (best is None or score > best[0]):
            best = (score, pattern, idx)
    if best is None or best[0] < raw_score - margin:
        return Decoded(raw_text, raw_conf, False)
    text = "".join(alphabet[i] for i in best[2])
    conf = tuple(float(probs[s, i]) for s, i in enumerate(best[2]))
    return Decoded(text, conf, True)
