"""Plate text normalisation shared by recognition, hotlists and search."""

from __future__ import annotations

import re

from rtcc.errors import InvalidInputError

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
