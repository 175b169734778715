"""Scoring a hotlist plate against a read's OCR lattice.

A read carries, per character, its likeliest characters with probabilities (``CharAlternatives``).
An entry ``E`` is scored by the log-likelihood ratio

    score(E) = sum_i log( q_i(E_i) / B_i(E_i) )

where ``q_i`` is the read's distribution at position ``i`` (characters outside the top-k share
the leftover mass, never less than ``floor``) and ``B_i`` a background model of plate strings of
that length in the region: per position, the share of the region's public formats with a letter
or a digit there, spread evenly over the letters or digits (plus a small share of vanity plates
that fit no format).

Threshold. If the list's ``N`` plates were drawn from the background, a read of an unlisted
plate accepts an other-than-read entry ``E`` with probability ``N * B(E)``, and summed over all
``E`` scoring at least ``T``: ``N * sum B(E) = N * sum q(E) e^-score(E) <= N * e^-T * m``, where
``m`` is the read's posterior mass off its top string (``alt_mass``, the expected share over
reads). Solving for a target false-hit rate ``r`` per read: ``T = ln(N * m / r)``.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rtcc.plates import CharAlternatives

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALPHABET = LETTERS + DIGITS
VANITY_SHARE = 0.1  # plates that fit no format: any character anywhere
DEFAULT_FLOOR = 1e-4

Lattice = tuple[dict[str, float], ...]


@dataclass(frozen=True, slots=True)
class Background:
    """Per length, per position: probability that the character is a letter."""

    letter_share: dict[int, tuple[float, ...]]

    def prob(self, length: int, pos: int, ch: str) -> float:
        shares = self.letter_share.get(length)
        p_letter = shares[pos] if shares else len(LETTERS) / len(ALPHABET)
        if ch.isdigit():
            return (1.0 - p_letter) / len(DIGITS)
        return p_letter / len(LETTERS)


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
    return Background(shares)


def _letter_weight(ch: str) -> float:
    if ch == "@":
        return 1.0
    if ch == "#":
        return 0.0
    if ch == "?":
        return len(LETTERS) / len(ALPHABET)
    return 0.0 if ch.isdigit() else 1.0


@lru_cache(maxsize=8)
def region_background(region: str = "us") -> Background:
    """The background of a region in ``lpr/data/plate_formats.json`` (public format rules; the
    data file is shared, the code is not imported)."""
    text = resources.files("lpr").joinpath("data/plate_formats.json").read_text("utf-8")
    regions = json.loads(text)["regions"]
    return background_from_patterns(regions.get(region, {}).get("patterns", []))


def lattice_of(
    plate: str,
    alternatives: CharAlternatives | None,
) -> Lattice | None:
    """The read's per-position distributions, or None when no lattice fits the text (the top-k
    must cover every character of ``plate``); missing mass is spread as the floor."""
    if not alternatives or len(alternatives) != len(plate):
        return None
    out = []
    for ch, alts in zip(plate, alternatives, strict=True):
        dist = {c: float(p) for c, p in alts if c in ALPHABET and p > 0}
        if ch not in dist:
            return None
        out.append(dist)
    return tuple(out)


def _rest(dist: dict[str, float], floor: float) -> float:
    """Probability of one character outside the top-k."""
    left = max(0.0, 1.0 - sum(dist.values())) / max(1, len(ALPHABET) - len(dist))
    return max(left, floor)


def score(entry: str, lattice: Lattice, background: Background, floor: float) -> float:
    """Log-likelihood ratio of the read if ``entry`` were the plate vs a random plate; -inf for
    a different length (indels are not scored)."""
    if len(entry) != len(lattice):
        return -math.inf
    total = 0.0
    n = len(entry)
    for i, (ch, dist) in enumerate(zip(entry, lattice, strict=True)):
        q = dist.get(ch)
        total += math.log(max(q if q is not None else _rest(dist, floor), floor))
        total -= math.log(background.prob(n, i, ch))
    return total


def threshold(entries: int, target_per_million: float, alt_mass: float) -> float:
    """Score an inexact candidate must reach (see the module docstring)."""
    rate = max(target_per_million, 1e-9) / 1e6
    return math.log(max(entries, 1) * alt_mass / rate)


def paths(
    lattice: Lattice, background: Background, min_score: float, limit: int
) -> list[tuple[float, str]]:
    """The best ``limit`` strings through the top-k of each position scoring at least
    ``min_score``, best first (a bounded best-first enumeration)."""
    n = len(lattice)
    cols = [
        sorted(
            ((math.log(p) - math.log(background.prob(n, i, c)), c) for c, p in d.items()),
            reverse=True,
        )
        for i, d in enumerate(lattice)
    ]
    best = [c[0][0] for c in cols]
    top = sum(best)
    start = (0,) * n
    heap: list[tuple[float, tuple[int, ...]]] = [(-top, start)]
    seen = {start}
    out: list[tuple[float, str]] = []
    while heap and len(out) < limit:
        neg, ranks = heapq.heappop(heap)
        if -neg < min_score:
            break
        out.append((-neg, "".join(cols[i][r][1] for i, r in enumerate(ranks))))
        for i, r in enumerate(ranks):
            if r + 1 < len(cols[i]):
                nxt = ranks[:i] + (r + 1,) + ranks[i + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    s = -neg - cols[i][r][0] + cols[i][r + 1][0]
                    heapq.heappush(heap, (-s, nxt))
    return out
