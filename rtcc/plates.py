"""Plate text normalisation shared by recognition, hotlists and search, and the one plate-read
record that travels from the tracker to the database and the matcher."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rtcc.errors import InvalidInputError
from rtcc.vocab import ReadStatus

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
MAX_PLATE_LENGTH = 10


def normalize_plate(text: str) -> str:
    """Upper-case and keep A–Z0–9 only: ``"ls15 ebc"`` → ``"LS15EBC"``."""
    return _NOT_ALNUM.sub("", text.upper())


def validate_plate(text: str, *, field: str = "plate") -> str:
    """Normalise and check a plate given by a person; raise ``InvalidInputError`` if unusable."""
    plate = normalize_plate(text)
    if not plate:
        raise InvalidInputError(f"{field}: no letters or digits in {text!r}", field=field)
    if len(plate) > MAX_PLATE_LENGTH:
        raise InvalidInputError(
            f"{field}: {len(plate)} characters, at most {MAX_PLATE_LENGTH}", field=field
        )
    return plate


# For each character of a read: its likeliest characters with probabilities, likeliest first.
CharAlternatives = tuple[tuple[tuple[str, float], ...], ...]


@dataclass(frozen=True, slots=True)
class PlateReadRecord:
    """One vehicle pass as the tracker read it: the one shape a plate read has from the tracker
    through the worker message and the database row to the hotlist matcher.

    ``char_alternatives`` keeps the per-position lattice the consensus voted on, so a matcher
    can score a hotlist plate that differs in an uncertain character.
    """

    track_key: str  # unique per camera across worker restarts
    status: ReadStatus
    plate: str
    confidence: float
    char_confidences: tuple[float, ...]
    char_alternatives: CharAlternatives
    alternatives: tuple[str, ...]  # next likeliest whole plates
    region: str | None
    format_ok: bool
    frames: int
    first_seen: datetime
    last_seen: datetime
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in the snapshot
    raw_text: str | None = None  # the best single frame's own OCR string


def alternatives_to_json(lattice: CharAlternatives) -> list[list[list[str | float]]]:
    """``[[["C", 0.7], ["G", 0.25]], ...]``: the JSON column's shape."""
    return [[[ch, p] for ch, p in position] for position in lattice]


def alternatives_from_json(value: object) -> CharAlternatives:
    """The inverse of ``alternatives_to_json``; anything malformed yields ``()``."""
    if not isinstance(value, list):
        return ()
    try:
        return tuple(tuple((str(ch), float(p)) for ch, p in position) for position in value)
    except (TypeError, ValueError):
        return ()
