"""One text for a track: confidence-weighted per-character voting across its observations.

Every observation votes with its OCR probability distribution for each character (or, lacking
one, with its top character at its confidence), weighted by its overall confidence. Observations
of another length (a dropped first character, a substring such as a partial crop) are aligned to
the reference reading by the offset with most agreeing characters before they vote, so they
strengthen the consensus instead of producing a second read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lpr.formats import applicable
from lpr.prior import Decoder
from lpr.recognizer import PlateObservation
from rtcc.plates import CharAlternatives

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Consensus:
    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    format_ok: bool
    support: int  # observations whose own text equals the consensus
    alternatives: tuple[str, ...] = ()  # next likeliest plate strings
    char_alternatives: CharAlternatives = ()  # per position: likeliest characters, probabilities


def weight(obs: PlateObservation) -> float:
    return max(obs.confidence, 1e-3) * (1.0 if obs.format_ok else 0.7)


def best_offset(text: str, ref: str) -> int:
    """Shift o (text[i] ~ ref[i + o]) with most equal characters; ties prefer the smallest |o|."""
    best, best_score = 0, -1
    span = max(len(ref), len(text))
    for o in sorted(range(-span + 1, span), key=abs):
        score = sum(1 for i, ch in enumerate(text) if 0 <= i + o < len(ref) and ref[i + o] == ch)
        if score > best_score:
            best, best_score = o, score
    return best


def _char_dist(obs: PlateObservation, i: int) -> dict[str, float]:
    """Probability per character for position ``i`` of ``obs.text``."""
    if obs.alternatives and len(obs.alternatives) == len(obs.text) and obs.raw_text == obs.text:
        alts = dict(obs.alternatives[i])
        if obs.text[i] in alts:
            return alts
    conf = obs.char_confidences[i] if i < len(obs.char_confidences) else obs.confidence
    return {obs.text[i]: conf}


def _length(observations: Sequence[PlateObservation]) -> int:
    votes: dict[int, float] = defaultdict(float)
    for obs in observations:
        votes[len(obs.text)] += weight(obs)
    return max(votes.items(), key=lambda kv: (kv[1], kv[0]))[0]


def vote_matrix(observations: Sequence[PlateObservation]) -> tuple[np.ndarray, str]:
    """(length x alphabet) weighted mean probabilities, and the reference text they align to."""
    length = _length(observations)
    same = [o for o in observations if len(o.text) == length]
    ref = max(same, key=weight).text
    votes = np.zeros((length, len(ALPHABET)), dtype=np.float64)
    cover = np.zeros((length, 1), dtype=np.float64)
    for obs in observations:
        w, off = weight(obs), best_offset(obs.text, ref)
        for i in range(len(obs.text)):
            pos = i + off
            if not 0 <= pos < length:
                continue
            cover[pos] += w
            for ch, p in _char_dist(obs, i).items():
                if ch in ALPHABET:
                    votes[pos, ALPHABET.index(ch)] += w * p
    return votes / np.where(cover > 0, cover, 1.0), ref


def _alternatives(dist: np.ndarray, text: str, limit: int = 3) -> tuple[str, ...]:
    """Plate strings with one uncertain character swapped for its runner-up, likeliest first."""
    swaps = []
    for pos, row in enumerate(dist):
        order = np.argsort(row)[::-1]
        for idx in order[:2]:
            ch = ALPHABET[idx]
            if ch != text[pos] and row[idx] >= 0.05:
                swaps.append((float(row[idx]), text[:pos] + ch + text[pos + 1 :]))
    return tuple(t for _, t in sorted(swaps, reverse=True)[:limit])


def char_lattice(dist: np.ndarray, top_k: int, floor: float = 0.01) -> CharAlternatives:
    """Per position, the ``top_k`` likeliest characters of the vote matrix (at least ``floor``)."""
    out = []
    for row in dist:
        order = np.argsort(row, kind="stable")[::-1][:top_k]
        out.append(tuple((ALPHABET[i], round(float(row[i]), 4)) for i in order if row[i] >= floor))
    return tuple(out)


def consensus(
    observations: Sequence[PlateObservation],
    decoder: Decoder,
    region: tuple[str | None, float] = (None, 0.0),
    top_k: int = 3,
) -> Consensus:
    """The track's text: ``decoder`` on the vote matrix, for the OCR's ``region`` guess."""
    if not observations:
        raise ValueError("no observations")
    dist, _ = vote_matrix(observations)
    dec = decoder.decode(dist, ALPHABET, None, *region)
    patterns = applicable(decoder.rules, *region)
    conf = float(np.mean(dec.char_confidences)) if dec.char_confidences else 0.0
    support = sum(1 for o in observations if o.text == dec.text)
    return Consensus(
        text=dec.text,
        confidence=conf,
        char_confidences=dec.char_confidences,
        format_ok=dec.format_ok if patterns else any(o.format_ok for o in observations),
        support=support,
        alternatives=_alternatives(dist, dec.text),
        char_alternatives=char_lattice(dist, top_k),
    )
