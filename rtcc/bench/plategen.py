"""Random but realistic US-style plates and OCR-like misreads, for the hotlist benchmarks."""

from __future__ import annotations

import random

LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # most states skip I, O, Q
DIGITS = "0123456789"
# L = letter, D = digit: CA 1ABC234, NY/PA/TX ABC1234, older ABC123 / 123ABC, AB12345.
FORMATS = ("DLLLDDD", "LLLDDDD", "LLLDDD", "DDDLLL", "LLDDDDD", "DLLDDD")
STATES = ("CA", "NY", "TX", "FL", "PA", "IL", "OH", "GA", "WA", "AZ")
CONFUSE = {
    "O": "0",
    "0": "O",
    "D": "0",
    "Q": "O",
    "I": "1",
    "1": "I",
    "L": "1",
    "B": "8",
    "8": "B",
    "S": "5",
    "5": "S",
    "Z": "2",
    "2": "Z",
    "G": "6",
    "6": "G",
}
ALNUM = LETTERS + DIGITS


def random_plate(rng: random.Random) -> str:
    fmt = rng.choice(FORMATS)
    return "".join(rng.choice(LETTERS if c == "L" else DIGITS) for c in fmt)


def unique_plates(rng: random.Random, n: int, avoid: set[str] | None = None) -> list[str]:
    seen: set[str] = set(avoid or ())
    out: list[str] = []
    while len(out) < n:
        p = random_plate(rng)
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def confusable_misread(rng: random.Random, plate: str) -> str | None:
    """One character swapped for a look-alike (None if the plate has none)."""
    spots = [i for i, c in enumerate(plate) if c in CONFUSE]
    if not spots:
        return None
    i = rng.choice(spots)
    return plate[:i] + CONFUSE[plate[i]] + plate[i + 1 :]


def other_misread(rng: random.Random, plate: str) -> tuple[str, int]:
    """One substitution, deletion or insertion; returns the text and the touched position."""
    i = rng.randrange(len(plate))
    kind = rng.random()
    if kind < 0.6:
        ch = rng.choice([c for c in ALNUM if c != plate[i]])
        return plate[:i] + ch + plate[i + 1 :], i
    if kind < 0.8:
        return plate[:i] + plate[i + 1 :], min(i, len(plate) - 2)
    return plate[:i] + rng.choice(ALNUM) + plate[i:], i


def confidences(rng: random.Random, n: int, low: int | None = None) -> list[float]:
    """OCR-like per-character confidences; ``low`` marks the misread character."""
    conf = [rng.uniform(0.8, 1.0) for _ in range(n)]
    if low is not None and 0 <= low < n:
        conf[low] = rng.uniform(0.3, 0.95)
    return conf
