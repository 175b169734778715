"""How likely a plate string is at random in a region: the one model behind the OCR decoder's
format prior (``lpr.prior``) and the hotlist matcher's background (``hotlist.lattice``).

The regions come from ``rtcc/data/plate_formats.json`` (public format knowledge, sources in
``rtcc/data/plate_priors.md``; not fitted to images). A rule is a character-class pattern: ``@``
a letter, ``#`` a digit, ``?`` either, anything else a literal (``#@@@###`` is California's
1ABC234).

``PlateModel`` is ``P(string | regions)``, given its length: an equal mixture of the regions that
have a format of that length, each a mixture of its serial formats (weighted by
``pattern_weights``; a letter in an ``@`` slot weighted by ``serial_letter_weights``: a letter
most states never issue, such as O, is rarer; a digit uniform), and, with share ``vanity_share``,
vanity plates: runs of letters and of digits, each character keeping the class of the previous
one with probability ``class_run_stay``, uniform within its class. A length no region has a
format of, and a model of no region (``GENERIC``: a region without rules), are vanity alone.
``position_probs`` are the per-position marginals of the same mixture (what the matcher orders
its enumeration by).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rtcc.errors import ConfigError

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALPHABET = LETTERS + DIGITS
GENERIC = "generic"  # a region without format rules: vanity plates alone
DATA_FILE = Path(__file__).parent / "data" / "plate_formats.json"

_LETTER_SET, _DIGIT_SET = frozenset(LETTERS), frozenset(DIGITS)
_SHAPE = str.maketrans({**{c: "@" for c in LETTERS}, **{c: "#" for c in DIGITS}})
_LOG10, _LOG26, _LOG36 = math.log(10), math.log(26), math.log(36)


@dataclass(frozen=True)
class RegionRules:
    code: str
    names: tuple[str, ...]  # the region labels an OCR model gives (``United States``)
    patterns: tuple[str, ...]
    # Relative pattern frequencies and serial-letter weights (absent: 1), as (key, weight)
    # pairs so that the rules stay hashable.
    pattern_weight_pairs: tuple[tuple[str, float], ...] = ()
    serial_letter_weight_pairs: tuple[tuple[str, float], ...] = ()
    subdivisions: tuple[str, ...] = ()  # state codes a read's region may carry (``CA``)

    @property
    def pattern_weights(self) -> dict[str, float]:
        return dict(self.pattern_weight_pairs)

    @property
    def serial_letter_weights(self) -> dict[str, float]:
        return dict(self.serial_letter_weight_pairs)

    def covers(self, label: str) -> bool:
        """Is ``label`` (a read's region: code, OCR name or state code) this region?"""
        return label.lower() == self.code or label in self.names or label in self.subdivisions


@dataclass(frozen=True)
class PriorParameters:
    vanity_share: float
    class_run_stay: float


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def _pairs(spec: dict[str, Any], key: str) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, float(v)) for k, v in spec.get(key, {}).items()))


@lru_cache(maxsize=1)
def shipped_rules() -> dict[str, RegionRules]:
    """The regions of the data file by code."""
    return {
        code: RegionRules(
            code,
            tuple(spec["names"]),
            tuple(spec["patterns"]),
            _pairs(spec, "pattern_weights"),
            _pairs(spec, "serial_letter_weights"),
            tuple(spec.get("subdivisions", ())),
        )
        for code, spec in _shipped()["regions"].items()
    }


def prior_parameters() -> PriorParameters:
    spec = _shipped()["prior"]
    return PriorParameters(float(spec["vanity_share"]), float(spec["class_run_stay"]))


def rules_for(regions: Sequence[str]) -> tuple[RegionRules, ...]:
    """The shipped rules of the configured region codes; unknown codes are a config error."""
    shipped = shipped_rules()
    unknown = [r for r in regions if r.lower() not in shipped]
    if unknown:
        raise ConfigError(f"lpr.regions: no plate formats for {unknown}; known: {sorted(shipped)}")
    return tuple(shipped[r.lower()] for r in regions)


@lru_cache(maxsize=256)
def region_code(label: str | None, default: str) -> str:
    """The region code of a read's region label: a region with format rules by its code, one of
    its ``names`` (the OCR's labels, ``United States``) or ``subdivisions`` (``CA``); ``default``
    for a read without a region (an OCR without a region head); ``GENERIC`` for any other (a
    region we have no rules for, ``Unknown``), so that one region's formats never judge
    another's plates."""
    if label is None or not label.strip():
        return default
    text = label.strip()
    return next((r.code for r in shipped_rules().values() if r.covers(text)), GENERIC)


def shape(text: str) -> str:
    """``ABC1234`` -> ``@@@####``: the letter/digit shape of a plate."""
    return text.translate(_SHAPE)


def char_allowed(pattern_char: str, ch: str) -> bool:
    if pattern_char == "@":
        return ch in _LETTER_SET
    if pattern_char == "#":
        return ch in _DIGIT_SET
    if pattern_char == "?":
        return ch in _LETTER_SET or ch in _DIGIT_SET
    return ch == pattern_char


def fits(text: str, pattern: str) -> bool:
    return len(text) == len(pattern) and all(
        char_allowed(p, c) for p, c in zip(pattern, text, strict=True)
    )


def log_vanity(text: str, stay: float) -> float:
    """log P(text | length) of a vanity plate: runs of letters and digits, uniform within."""
    if not text:
        return 0.0
    total = math.log(0.5)
    for prev, ch in zip(text, text[1:], strict=False):
        total += math.log(stay if prev.isdigit() == ch.isdigit() else 1.0 - stay)
    return total - sum(_LOG10 if ch.isdigit() else _LOG26 for ch in text)


@dataclass(frozen=True)
class _Region:
    """One region's serial formats, ready to score strings."""

    by_length: dict[int, tuple[tuple[str, float], ...]]  # pattern, share among that length
    letter: dict[str, float]  # P(letter) in an '@' slot
    log_letter: dict[str, float]
    unit: float  # P(a letter of weight 1) in an '@' slot
    log_odd: dict[str, float]  # log of the weight of each letter not of weight 1


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
    letter = {c: w / total for c, w in letter_w.items()}
    log_letter = {c: math.log(p) if p > 0 else -math.inf for c, p in letter.items()}
    odd = {c: math.log(w) if w > 0 else -math.inf for c, w in letter_w.items() if w != 1.0}
    return _Region(shares, letter, log_letter, 1.0 / total, odd)


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


def _slot_prob(slot: str, ch: str, letter: dict[str, float]) -> float:
    if slot == "@":
        return letter.get(ch, 0.0)
    if slot == "#":
        return 0.1 if ch in _DIGIT_SET else 0.0
    if slot == "?":
        return 1 / 36
    return 1.0 if ch == slot else 0.0


# Per letter/digit shape: log P of its strings with letters of weight 1 only, the vanity term,
# and per region with a format of that shape: (its letters not of weight 1, P of its serial
# of that shape with letters of weight 1 only, already shared among the regions).
_ShapeTerms = tuple[float, float, tuple[tuple[dict[str, float], float], ...]]


class PlateModel:
    """``P(string | regions)``, given the length (see the module docstring)."""

    def __init__(self, rules: Sequence[RegionRules], params: PriorParameters | None = None) -> None:
        params = params or prior_parameters()
        self.vanity_share = params.vanity_share
        self.stay = params.class_run_stay
        self.rules = tuple(rules)
        self.regions = tuple(_region(r) for r in self.rules)
        # Lengths with a format of literals or '?' slots, scored term by term (``_log_prob``);
        # at the others a string's probability is its shape's times its letters' weights.
        self._general = {
            n
            for r in self.regions
            for n, pats in r.by_length.items()
            if any(set(p) - {"@", "#"} for p, _ in pats)
        }
        self._odd = frozenset(c for r in self.regions for c in r.log_odd)
        self._shapes: dict[str, _ShapeTerms] = {}
        self._cache: dict[str, float] = {}
        self._positions: dict[int, tuple[dict[str, float], ...]] = {}
        self._log_positions: dict[int, tuple[dict[str, float], ...]] = {}

    def log_prob(self, text: str) -> float:
        """log P(text | regions, its length)."""
        if len(text) not in self._general:
            key = text.translate(_SHAPE)
            terms = self._shapes.get(key)
            if terms is None:
                terms = self._shape_terms(key)
                if len(self._shapes) < 100_000:  # shapes of A-Z0-9 strings: 2 ** length
                    self._shapes[key] = terms
            if self._odd.isdisjoint(text):
                return terms[0]
            total = terms[1]
            for odd, serial in terms[2]:
                total += serial * math.exp(sum(odd.get(c, 0.0) for c in text))
            return math.log(total) if total > 0 else -math.inf
        value = self._cache.get(text)
        if value is None:
            value = self._log_prob(text)
            if len(self._cache) < 100_000:
                self._cache[text] = value
        return value

    def _shape_terms(self, key: str) -> _ShapeTerms:
        """``_ShapeTerms`` of a shape of a length whose formats are all of '@' and '#' (or that
        has none): a serial of that shape is its pattern's, each letter at its weight."""
        v = self.vanity_share
        vanity = math.exp(log_vanity(key.replace("#", "0"), self.stay))
        serial = [r for r in self.regions if len(key) in r.by_length]
        if not serial:
            return (math.log(vanity) if vanity > 0 else -math.inf), vanity, ()
        terms = []
        for r in serial:
            share = sum(s for p, s in r.by_length[len(key)] if p == key)
            if share > 0:
                plain = r.unit ** key.count("@") * 0.1 ** key.count("#")
                terms.append((r.log_odd, (1 - v) * share * plain / len(serial)))
        base = v * vanity
        total = base + sum(s for _, s in terms)
        return (math.log(total) if total > 0 else -math.inf), base, tuple(terms)

    def _log_prob(self, text: str) -> float:
        """The mixture term by term (any pattern: literals and ``?`` slots too)."""
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
        total = v * math.exp(vanity) + (1 - v) * fit
        return math.log(total) if total > 0 else -math.inf

    def log_ratio(self, text: str) -> float:
        """log of P(text | regions) over the uniform 36 ** -len(text)."""
        return self.log_prob(text) + len(text) * _LOG36

    def position_probs(self, length: int) -> tuple[dict[str, float], ...]:
        """Per position of a string of ``length``: the probability of every character (the
        marginals of the mixture; a vanity plate's class is even odds at every position)."""
        table = self._positions.get(length)
        if table is not None:
            return table
        vanity = {c: 0.5 / 26 for c in LETTERS} | {c: 0.5 / 10 for c in DIGITS}
        serial = [r for r in self.regions if length in r.by_length]
        v = self.vanity_share if serial else 1.0
        rows = []
        for i in range(length):
            row = {}
            for c in ALPHABET:
                fit = sum(
                    share * _slot_prob(p[i], c, r.letter)
                    for r in serial
                    for p, share in r.by_length[length]
                )
                row[c] = v * vanity[c] + (1 - v) * fit / max(1, len(serial))
            rows.append(row)
        table = self._positions[length] = tuple(rows)
        return table

    def log_chars(self, length: int) -> tuple[dict[str, float], ...]:
        """``position_probs`` as logs (cached per length)."""
        table = self._log_positions.get(length)
        if table is None:
            table = tuple(
                {c: math.log(p) if p > 0 else -math.inf for c, p in row.items()}
                for row in self.position_probs(length)
            )
            self._log_positions[length] = table
        return table

    def sample(self, rng: random.Random) -> str:
        """A plate drawn from the model (one of its regions alike): a serial of a format drawn by
        ``pattern_weights`` with letters by ``serial_letter_weights``, or a vanity plate of a
        format's length. Without regions: seven characters, any of them."""
        if not self.rules:
            return "".join(rng.choice(ALPHABET) for _ in range(7))
        rules, region = rng.choice(list(zip(self.rules, self.regions, strict=True)))
        weights = rules.pattern_weights
        pattern = rng.choices(rules.patterns, [weights.get(p, 1.0) for p in rules.patterns])[0]
        if rng.random() < self.vanity_share:
            chars, digit = [], rng.random() < 0.5
            for _ in pattern:
                chars.append(rng.choice(DIGITS if digit else LETTERS))
                digit = digit if rng.random() < self.stay else not digit
            return "".join(chars)
        letters = list(region.letter)
        letter_w = [region.letter[c] for c in letters]
        pick = {"@": lambda: rng.choices(letters, letter_w)[0],
                "#": lambda: rng.choice(DIGITS), "?": lambda: rng.choice(ALPHABET)}
        return "".join(pick[c]() if c in pick else c for c in pattern)

    def letter_share(self, length: int) -> tuple[float, ...]:
        """Per position: the probability of a letter there."""
        return tuple(sum(row[c] for c in LETTERS) for row in self.position_probs(length))


@lru_cache(maxsize=32)
def model_for(rules: tuple[RegionRules, ...]) -> PlateModel:
    """The model of these regions (an equal mixture), one per set of rules."""
    return PlateModel(rules)


def region_model(code: str) -> PlateModel:
    """The model of a region code; a code without format rules (``GENERIC``) gets vanity
    plates alone: runs of letters and digits, any length."""
    rules = shipped_rules().get(code)
    return model_for((rules,) if rules is not None else ())


def model_of_label(label: str | None, default: str) -> PlateModel:
    """``region_model`` of ``region_code``: the model that scores a read placed in ``label``."""
    return region_model(region_code(label, default))
