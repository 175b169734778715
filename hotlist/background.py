"""The background of a read: how likely a plate string is at random in a region.

A mixture over the region's public formats of each length (``@`` any letter, ``#`` any digit,
``?`` either; each format equally likely, every letter or digit equally likely in its slot) plus a
share of vanity plates that fit no format. The formats are those of ``lpr/data/plate_formats.json``
(the data file is shared with the decoder's prior, the code is not imported: layers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALPHABET = LETTERS + DIGITS
VANITY_SHARE = 0.1  # plates that fit no format: any character anywhere


@dataclass(frozen=True, slots=True)
class Background:
    """A mixture over the region's formats of each length (each format equally likely, every
    letter or digit equally likely in its slot) plus a share of vanity plates (any character).

    ``letter_share`` (per length, per position: probability of a letter) is the per-position
    summary used to order the lattice enumeration; ``prob_plate`` is the full mixture."""

    letter_share: dict[int, tuple[float, ...]]
    formats: dict[int, tuple[str, ...]]
    _log_char: dict[int, tuple[dict[str, float], ...]] = field(default_factory=dict)
    _by_shape: dict[str, float] = field(default_factory=dict)

    def log_chars(self, length: int) -> tuple[dict[str, float], ...]:
        """Per position: log ``prob`` of every character (cached per length)."""
        table = self._log_char.get(length)
        if table is None:
            table = tuple(
                {c: math.log(self.prob(length, i, c)) for c in ALPHABET} for i in range(length)
            )
            self._log_char[length] = table
        return table

    def prob(self, length: int, pos: int, ch: str) -> float:
        shares = self.letter_share.get(length)
        p_letter = shares[pos] if shares else len(LETTERS) / len(ALPHABET)
        if ch.isdigit():
            return (1.0 - p_letter) / len(DIGITS)
        return p_letter / len(LETTERS)

    def log_prob_plate(self, plate: str) -> float:
        """log B(plate). Formats made only of ``@``/``#``/``?`` see a plate's letter/digit
        shape alone, so the value is cached per shape."""
        shape = plate.translate(_SHAPE)
        cached = self._by_shape.get(shape)
        if cached is not None:
            return cached
        vanity = len(plate) * math.log(1 / len(ALPHABET))
        pats = self.formats.get(len(plate), ())
        if not pats:
            return vanity
        fit = sum(math.exp(_log_fit(plate, pat)) for pat in pats) / len(pats)
        value = math.log(VANITY_SHARE * math.exp(vanity) + (1 - VANITY_SHARE) * fit)
        if all(set(p) <= set("@#?") for p in pats):
            self._by_shape[shape] = value
        return value


_SHAPE = str.maketrans({**{c: "@" for c in LETTERS}, **{c: "#" for c in DIGITS}})


def _log_fit(plate: str, pattern: str) -> float:
    total = 0.0
    for ch, slot in zip(plate, pattern, strict=True):
        if slot == "@":
            if not ch.isalpha():
                return -math.inf
            total -= _LOG_LETTERS
        elif slot == "#":
            if not ch.isdigit():
                return -math.inf
            total -= _LOG_DIGITS
        elif slot == "?":
            total -= _LOG_ALPHABET
        elif slot != ch:
            return -math.inf
    return total


_LOG_LETTERS, _LOG_DIGITS = math.log(len(LETTERS)), math.log(len(DIGITS))
_LOG_ALPHABET = math.log(len(ALPHABET))


def background_from_patterns(patterns: Sequence[str]) -> Background:
    """Patterns use ``@`` letter, ``#`` digit, ``?`` either; other characters are literals."""
    by_len: dict[int, list[str]] = {}
    for pat in patterns:
        by_len.setdefault(len(pat), []).append(pat)
    uniform = len(LETTERS) / len(ALPHABET)
    shares: dict[int, tuple[float, ...]] = {}
    for length, pats in by_len.items():
        row = []
        for i in range(length):
            letter = sum(_letter_weight(p[i]) for p in pats) / len(pats)
            row.append((1 - VANITY_SHARE) * letter + VANITY_SHARE * uniform)
        shares[length] = tuple(row)
    return Background(shares, {n: tuple(p) for n, p in by_len.items()})


def _letter_weight(ch: str) -> float:
    if ch == "@":
        return 1.0
    if ch == "#":
        return 0.0
    if ch == "?":
        return len(LETTERS) / len(ALPHABET)
    return 0.0 if ch.isdigit() else 1.0


@lru_cache(maxsize=1)
def _regions() -> dict[str, dict[str, Any]]:
    """The regions of ``lpr/data/plate_formats.json`` (public format rules; the data file is
    shared, the code is not imported)."""
    text = resources.files("lpr").joinpath("data/plate_formats.json").read_text("utf-8")
    regions: dict[str, dict[str, Any]] = json.loads(text)["regions"]
    return regions


@lru_cache(maxsize=8)
def region_background(region: str = "us") -> Background:
    """The background of a region code; a code without format rules (``GENERIC``) gets the
    generic one: any character anywhere, every length alike."""
    return background_from_patterns(_regions().get(region, {}).get("patterns", []))


GENERIC = "generic"  # no format rules: the uniform background


@lru_cache(maxsize=256)
def background_code(region: str | None, default: str) -> str:
    """The region code whose background scores a read the OCR placed in ``region``: a region
    with format rules by its code, one of its ``names`` (the OCR's labels, ``United States``)
    or ``subdivisions`` (``CA``); ``default`` for a read without a region (an OCR without a
    region head); ``GENERIC`` for any other (a region we have no rules for, ``Unknown``), so
    that one region's formats never judge another's plates (``25810X`` read in Canada as
    ``2581DX``: under the US formats ``Z581DX`` would explain it better)."""
    if region is None or not region.strip():
        return default
    label = region.strip()
    for code, spec in _regions().items():
        if (
            label.lower() == code
            or label in spec.get("names", ())
            or label in spec.get("subdivisions", ())
        ):
            return code
    return GENERIC


def background_for(region: str | None, default: str) -> Background:
    """``region_background`` of ``background_code``."""
    return region_background(background_code(region, default))


def shape(text: str) -> str:
    """``ABC1234`` -> ``@@@####``: the letter/digit shape of a plate."""
    return text.translate(_SHAPE)
