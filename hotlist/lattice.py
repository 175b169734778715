"""Scoring a hotlist plate against a read's OCR lattice.

A read carries, per character, its likeliest characters with probabilities (``CharAlternatives``).
An entry ``E`` is scored by the log-likelihood ratio

    score(E) = sum_i log q_i(E_i) - log B(E)

where ``q_i`` is the read's distribution at position ``i`` (characters outside the top-k share
the leftover mass, never less than ``floor``) and ``B`` a background model of plate strings in
the region: a mixture over the region's public formats of that length (``@`` any letter, ``#``
any digit) plus a small share of vanity plates that fit no format.

Decision. ``B`` is also the prior of the plate behind a read, so the read's posterior on a string
``E`` is ``P(E) = q(E) B(E) / Z``, ``Z`` summed over the read's likeliest strings and over the
strings one substitution away by a character outside a position's top-k. A listed ``E`` other
than the read itself is a hit when ``P(E)`` reaches ``min_posterior`` and the false hits it
risks fit the per-read budget ``r``: if the read's plate is not ``E`` (``1 - P(E)``), ``E`` is
on a list of ``N`` random plates with probability ``N B(E)``, so strings are accepted in order
of posterior while ``sum (1 - P(E)) N B(E) <= r`` (summed over every string accepted, listed or
not). A read whose text fits no format but whose neighbour does (``A8C1234``) gives the
neighbour much of its posterior and risks little; a doubt between two well-formed strings risks
much more; the alternatives of a sure read stay under ``min_posterior`` except look-alikes,
which ``lattice_of`` gives a floor because the OCR is overconfident exactly there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from rtcc.plates import CharAlternatives

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALPHABET = LETTERS + DIGITS
VANITY_SHARE = 0.1  # plates that fit no format: any character anywhere
DEFAULT_FLOOR = 1e-4
# The enumeration orders strings by a per-position summary of the background; it goes this far
# (nats) below the threshold so that strings the full mixture scores higher are still probed.
ENUM_SLACK = 1.0

Lattice = tuple[dict[str, float], ...]


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


def lattice_of(
    plate: str,
    alternatives: CharAlternatives | None,
    lookalikes: dict[str, str] | None = None,
    lookalike_floor: float = 0.0,
) -> Lattice | None:
    """The read's per-position distributions, or None when no lattice fits the text (the top-k
    must cover every character of ``plate``); missing mass is spread as the floor.

    ``lookalikes`` maps a character to the others of its look-alike group: each of them gets
    at least ``lookalike_floor``, because the OCR's own probabilities are overconfident
    exactly there (a sure 0 that was an O)."""
    if not alternatives or len(alternatives) != len(plate):
        return None
    out = []
    for ch, alts in zip(plate, alternatives, strict=True):
        dist = {c: float(p) for c, p in alts if c in ALPHABET and p > 0}
        if ch not in dist:
            return None
        for other in (lookalikes or {}).get(ch, "") if lookalike_floor > 0 else "":
            dist[other] = max(dist.get(other, 0.0), lookalike_floor)
        out.append(dist)
    return tuple(out)


def lookalike_map(groups: Sequence[str]) -> dict[str, str]:
    """``["O0QD", "B8"]`` -> ``{"O": "0QD", "0": "OQD", ..., "B": "8", "8": "B"}``."""
    out: dict[str, str] = {}
    for group in groups:
        for ch in group:
            out[ch] = out.get(ch, "") + "".join(c for c in group if c != ch)
    return out


def _rest(dist: dict[str, float], floor: float) -> float:
    """Probability of one character outside the top-k."""
    left = max(0.0, 1.0 - sum(dist.values())) / max(1, len(ALPHABET) - len(dist))
    return max(left, floor)


def score(entry: str, lattice: Lattice, background: Background, floor: float) -> float:
    """Log-likelihood ratio of the read if ``entry`` were the plate vs a random plate of the
    region; -inf for a different length (indels are not scored)."""
    if len(entry) != len(lattice):
        return -math.inf
    return log_q(entry, lattice, floor) - background.log_prob_plate(entry)


def log_q(entry: str, lattice: Lattice, floor: float) -> float:
    """log of the read's probability of ``entry`` (same length) under its lattice alone."""
    total = 0.0
    for ch, dist in zip(entry, lattice, strict=True):
        q = dist.get(ch)
        total += math.log(max(q if q is not None else _rest(dist, floor), floor))
    return total


Change = tuple[tuple[int, str], ...]  # (position, character) substituted into the top string


def substitutions(
    lattice: Lattice, background: Background, min_score: float, limit: int
) -> tuple[float, str, list[tuple[float, Change]]]:
    """The read's top string (and its score under the per-position summary of the background),
    and the changes one or two top-k substitutions away from it that keep the score at least
    ``min_score``, best first, at most ``limit`` (a bounded enumeration: three doubts at once
    are never worth a hit)."""
    logs = background.log_chars(len(lattice))
    cols = [
        sorted(((math.log(p) - lb[c], c) for c, p in d.items()), reverse=True)
        for d, lb in zip(lattice, logs, strict=True)
    ]
    top = sum(c[0][0] for c in cols)
    best = "".join(c[0][1] for c in cols)
    room = top - min_score
    if room < 0:
        return top, best, []
    singles = sorted(
        (c[0][0] - v, i, ch) for i, c in enumerate(cols) for v, ch in c[1:] if c[0][0] - v <= room
    )
    found: list[tuple[float, Change]] = [(top - d, ((i, ch),)) for d, i, ch in singles]
    for a, (da, ia, ca) in enumerate(singles):
        for db, ib, cb in singles[a + 1 :]:
            if da + db > room:
                break
            if ia != ib:
                found.append((top - da - db, ((ia, ca), (ib, cb))))
    found.sort(key=lambda f: -f[0])
    return top, best, found[:limit]


def paths(
    lattice: Lattice, background: Background, min_score: float, limit: int
) -> list[tuple[float, str]]:
    """``substitutions`` as strings: the top string first (if it reaches ``min_score``)."""
    top, best, changes = substitutions(lattice, background, min_score, max(0, limit - 1))
    if top < min_score:
        return []
    out = [(top, best)]
    for value, change in changes:
        chars = list(best)
        for i, ch in change:
            chars[i] = ch
        out.append((value, "".join(chars)))
    return out


def likeliest(lattice: Lattice, limit: int) -> list[str]:
    """The top string and up to ``limit`` strings one or two top-k substitutions from it, in
    order of the lattice's own probability (the background plays no part)."""
    cols = [sorted(((math.log(p), c) for c, p in d.items()), reverse=True) for d in lattice]
    best = [c[0][1] for c in cols]
    singles = sorted((c[0][0] - v, i, ch) for i, c in enumerate(cols) for v, ch in c[1:])
    found: list[tuple[float, Change]] = [(d, ((i, ch),)) for d, i, ch in singles]
    for a, (da, ia, ca) in enumerate(singles):
        for db, ib, cb in singles[a + 1 :]:
            if ia != ib:
                found.append((da + db, ((ia, ca), (ib, cb))))
    found.sort(key=lambda f: f[0])
    out = ["".join(best)]
    for _, change in found[:limit]:
        chars = list(best)
        for i, ch in change:
            chars[i] = ch
        out.append("".join(chars))
    return out


class ListDensity:
    """How likely a string is to be on the lists by coincidence, measured on the lists
    themselves: per letter/digit shape (``@@@####``), the share of that shape's strings that are
    listed. A format the region's background does not know (or a list of another region's
    plates) is then priced as it really is, not as the background assumes."""

    __slots__ = ("_share",)

    def __init__(self, plates: Sequence[str]) -> None:
        counts: dict[str, int] = {}
        for plate in plates:
            if plate.isalnum():
                shape = plate.translate(_SHAPE)
                counts[shape] = counts.get(shape, 0) + 1
        self._share = {
            shape: n / (len(LETTERS) ** shape.count("@") * len(DIGITS) ** shape.count("#"))
            for shape, n in counts.items()
        }

    def chance(self, text: str) -> float:
        """Probability that ``text`` (not a listed plate's read) is listed all the same."""
        return self._share.get(text.translate(_SHAPE), 0.0)


@dataclass(frozen=True, slots=True)
class Policy:
    """How inexact lattice hits are accepted (see the module docstring)."""

    listed: ListDensity  # the chance of a string being listed by coincidence
    false_hits_per_million: float  # r, per read
    min_posterior: float
    floor: float
    limit: int  # strings summed into the posterior's normaliser


def _outside_mass(plate: str, lattice: Lattice, background: Background, floor: float) -> float:
    """sum of q(X) B(X) over the strings one substitution from ``plate`` by a character outside
    its position's top-k: per position, all letters and all digits outside it (each at the
    position's leftover probability; ``B`` taken at one representative of each)."""
    base = log_q(plate, lattice, floor)
    total = 0.0
    for i, dist in enumerate(lattice):
        rest = math.log(max(_rest(dist, floor), floor)) - math.log(
            max(dist.get(plate[i], floor), floor)
        )
        for chars in (LETTERS, DIGITS):
            outside = [c for c in chars if c not in dist]
            if outside:
                rep = plate[:i] + outside[0] + plate[i + 1 :]
                total += len(outside) * math.exp(base + rest + background.log_prob_plate(rep))
    return total


def accepted(
    plate: str,
    lattice: Lattice,
    background: Background,
    policy: Policy,
    listed: Sequence[str],
) -> dict[str, float]:
    """Of the ``listed`` strings (entries the read ``plate`` could hit), those accepted as
    inexact hits, with the read's posterior on each."""
    strings = dict.fromkeys([plate, *likeliest(lattice, policy.limit), *listed])
    joint = {
        s: math.exp(log_q(s, lattice, policy.floor) + background.log_prob_plate(s))
        for s in strings
        if len(s) == len(lattice)
    }
    z = sum(joint.values()) + _outside_mass(plate, lattice, background, policy.floor)
    rate = policy.false_hits_per_million / 1e6
    out: dict[str, float] = {}
    for s in dict.fromkeys(listed):
        if s == plate or s not in joint:
            continue
        post = joint[s] / z
        if post < policy.min_posterior:
            continue
        if post >= (1.0 - post) * policy.listed.chance(s) / rate:
            out[s] = post
    return out
