"""The threshold of inexact hits for a target rate of false hits per million reads, on the live
lists (``matching.false_hits_per_million``).

An inexact hit on entry ``s`` is accepted when the read's posterior ``P`` on it reaches
``lattice_min_odds * (1 - P) * chance(s)`` (``hotlist.lattice.accepted``). For one read of a
plate that is not listed, the *critical odds* is the largest ``P / ((1 - P) * chance(s))`` over
the entries it could hit: it raises a false hit exactly when ``lattice_min_odds`` is at or below
that. So the threshold for a target rate is a quantile of the critical odds of reads of unlisted
plates, found in one pass:

- the plates are drawn from the plate-string model of the reads' region
  (``rtcc.plate_formats.PlateModel.sample``; a plate that is listed is drawn again);
- each is read correctly with an OCR-like lattice (``ocr_lattice``: the shape of the OCR's
  outputs on the development images; most characters nearly certain, about one in eighteen
  doubtful, a second and third candidate under the top one);
- the rate at the chosen threshold, on those reads, is reported beside it.

The draw is seeded: the same lists give the same threshold. It is a model's figure, not a
measurement on real traffic: reads of real unlisted plates differ from the model as real plates
and real OCR do (``rtcc bench hotlist`` measures it on its own reads).
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import datetime

from hotlist.matcher import HotlistIndex
from rtcc.plate_formats import ALPHABET, model_of_label
from rtcc.plates import CharAlternatives

FLOOR_ODDS = 1.0  # no threshold below a Bayes factor of 1 (no evidence for the entry)
CEILING_ODDS = 1e12  # reads sure of another listed plate: no finite threshold stops them
UNSURE_SHARE = 0.055  # correctly read characters below 0.99 (development images)
KEEP = 0.01  # like ``lpr.consensus.char_lattice``: alternatives below this are not carried


def sure_probability(rng: random.Random) -> float:
    """Top probability of a correctly read character (median 0.9999, 5.5% below 0.99)."""
    if rng.random() < UNSURE_SHARE:
        return rng.uniform(0.6, 0.99)
    return 1.0 - 10 ** rng.uniform(-4.5, -2.0)


def position(
    rng: random.Random, ch: str, top: float, second: str, second_share: float, alphabet: str
) -> tuple[tuple[str, float], ...]:
    """One position: ``ch`` at ``top``, ``second`` with ``second_share`` of the rest, a third
    character of ``alphabet`` with 60% of what is left."""
    rest = 1.0 - top
    third = rng.choice([c for c in alphabet if c not in (ch, second)])
    p2 = rest * second_share
    return ((ch, top), (second, p2), (third, (rest - p2) * 0.6))


def carried(lattice: list[tuple[tuple[str, float], ...]]) -> CharAlternatives:
    """As on a tracked read: alternatives under 1% dropped, probabilities to 4 places."""
    return tuple(
        tuple((c, round(p, 4)) for c, p in pos if p >= KEEP or c == pos[0][0]) for pos in lattice
    )


def ocr_lattice(rng: random.Random, text: str) -> CharAlternatives:
    """An OCR-like lattice of a correct read of ``text``."""
    return carried([
        position(
            rng,
            ch,
            sure_probability(rng),
            rng.choice([c for c in ALPHABET if c != ch]),
            rng.uniform(0.6, 0.95),
            ALPHABET,
        )
        for ch in text
    ])


@dataclass(frozen=True)
class Calibration:
    min_odds: float  # lattice_min_odds for the target
    target_per_million: float
    reads: int  # reads of unlisted plates drawn
    expected_per_million: float  # false hits per million of those reads at ``min_odds``


def with_min_odds(index: HotlistIndex, min_odds: float) -> HotlistIndex:
    """The same index (entries, keys and density shared) judging inexact hits at ``min_odds``."""
    other = copy.copy(index)
    other.rules = index.rules.model_copy(update={"lattice_min_odds": min_odds})
    other._policy = None  # rebuilt from the new rules on the first match
    return other


def critical_odds(
    index: HotlistIndex, plate: str, alternatives: CharAlternatives, now: datetime
) -> float:
    """The largest ``lattice_min_odds`` at which the read would still hit an entry inexactly
    (0 when none at ``FLOOR_ODDS``); ``index`` judging at ``FLOOR_ODDS``."""
    best = 0.0
    for m in index.match(plate, state=None, now=now, alternatives=alternatives):
        post = m.posterior
        if m.match_type != "lattice" or post is None:
            continue
        chance = index.density.chance(m.entry.plate)
        best = max(best, float("inf") if post >= 1.0 or chance <= 0 else
                   post / ((1.0 - post) * chance))
    return best


def calibrate(
    index: HotlistIndex,
    target_per_million: float,
    *,
    now: datetime,
    reads: int = 20_000,
    seed: int = 0,
) -> Calibration:
    """``lattice_min_odds`` giving at most ``target_per_million`` false hits per million reads
    of unlisted plates of the reads' default region (``lattice_region``)."""
    rng = random.Random(seed)
    model = model_of_label(None, index.rules.lattice_region)
    listed = set(index._plates.plates)
    probe = with_min_odds(index, FLOOR_ODDS)
    odds = []
    for _ in range(reads):
        plate = model.sample(rng)
        while plate in listed:
            plate = model.sample(rng)
        odds.append(critical_odds(probe, plate, ocr_lattice(rng, plate), now))
    odds.sort(reverse=True)
    allowed = int(target_per_million * reads / 1_000_000)
    # Reads at or above the threshold hit: just above the (allowed + 1)-th largest.
    above = odds[allowed] if allowed < len(odds) else 0.0
    min_odds = min(CEILING_ODDS, max(FLOOR_ODDS, above * (1 + 1e-9)))
    hits = sum(1 for k in odds if k >= min_odds)
    return Calibration(min_odds, target_per_million, reads, hits * 1_000_000 / reads)
