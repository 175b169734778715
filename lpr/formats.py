"""Plate format rules per region, and format-constrained decoding of OCR slot probabilities.

A rule is a character-class pattern: ``@`` a letter, ``#`` a digit, ``?`` either, anything else a
literal (``#@@@###`` is California's 1ABC234). Shipped defaults live in
``lpr/data/plate_formats.json``. When the OCR's top string fits no rule, the best string that does
fit one is taken instead, but only if the model found it nearly as likely (within ``margin`` in
log-probability): that turns O/0, I/1, B/8 confusions into the right class without overriding
characters the model is sure of. That hard rule is the decoder when ``lpr.format_prior_weight``
is 0; by default ``lpr.prior`` weighs every candidate by a soft format prior instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rtcc.errors import ConfigError

LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
DIGITS = frozenset("0123456789")
_EPS = 1e-6


@dataclass(frozen=True)
class RegionRules:
    code: str
    names: tuple[str, ...]
    patterns: tuple[str, ...]
    # Decoding prior (``lpr.prior``): relative pattern frequencies and serial-letter weights
    # (absent: 1), as (key, weight) pairs so that the rules stay hashable.
    pattern_weight_pairs: tuple[tuple[str, float], ...] = ()
    serial_letter_weight_pairs: tuple[tuple[str, float], ...] = ()

    @property
    def pattern_weights(self) -> dict[str, float]:
        return dict(self.pattern_weight_pairs)

    @property
    def serial_letter_weights(self) -> dict[str, float]:
        return dict(self.serial_letter_weight_pairs)


@dataclass(frozen=True)
class PriorParameters:
    vanity_share: float
    class_run_stay: float


@dataclass(frozen=True)
class Decoded:
    text: str
    char_confidences: tuple[float, ...]
    format_ok: bool
    rule_region: str | None = None


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    raw = (Path(__file__).parent / "data" / "plate_formats.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _pairs(spec: dict[str, Any], key: str) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, float(v)) for k, v in spec.get(key, {}).items()))


@lru_cache(maxsize=1)
def shipped_rules() -> dict[str, RegionRules]:
    out = {}
    for code, spec in _shipped()["regions"].items():
        out[code] = RegionRules(
            code,
            tuple(spec["names"]),
            tuple(spec["patterns"]),
            _pairs(spec, "pattern_weights"),
            _pairs(spec, "serial_letter_weights"),
        )
    return out


def prior_parameters() -> PriorParameters:
    spec = _shipped()["prior"]
    return PriorParameters(float(spec["vanity_share"]), float(spec["class_run_stay"]))


def rules_for(regions: list[str]) -> tuple[RegionRules, ...]:
    """The shipped rules of the configured region codes; unknown codes are a config error."""
    shipped = shipped_rules()
    unknown = [r for r in regions if r.lower() not in shipped]
    if unknown:
        raise ConfigError(f"lpr.regions: no plate formats for {unknown}; known: {sorted(shipped)}")
    return tuple(shipped[r.lower()] for r in regions)


def char_allowed(pattern_char: str, ch: str) -> bool:
    if pattern_char == "@":
        return ch in LETTERS
    if pattern_char == "#":
        return ch in DIGITS
    if pattern_char == "?":
        return ch in LETTERS or ch in DIGITS
    return ch == pattern_char


def fits(text: str, pattern: str) -> bool:
    return len(text) == len(pattern) and all(
        char_allowed(p, c) for p, c in zip(pattern, text, strict=True)
    )


def applicable_rules(
    rules: tuple[RegionRules, ...], region: str | None, region_prob: float, veto: float = 0.8
) -> tuple[RegionRules, ...]:
    """Regions to try; none when the OCR is sure (``veto``) the plate is from another region."""
    sure = region is not None and region != "Unknown" and region_prob >= veto
    if sure and not any(region in r.names for r in rules):
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
