"""Validated input types shared by settings, API bodies and query parameters, CSV imports.

One definition per rule, so that bad input is refused the same way everywhere (422 naming the
field in the API, exit 2 naming the field in ``check-config`` and the CLI):

- ``ApiDatetime``: an ISO date-time; one with a zone is returned in UTC, and one that cannot
  be expressed in UTC (year 9999 at -14:00, year 1 at +14:00) is refused instead of
  overflowing later. One without a zone is left as it is: each route reads it as UTC or
  refuses it, as it always has.
- ``no_nul``: text without NUL characters (PostgreSQL refuses them), applied to every request
  by ``web.inputs`` (with the 64-bit integer bounds below) and to hotlist files.
- ``CameraId``: a camera id that is safe as a single path component (``media/reads/<id>/``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
CAMERA_ID_PATTERN = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$"
_CAMERA_ID = re.compile(CAMERA_ID_PATTERN)


def utc(value: datetime) -> datetime:
    """``value`` as aware UTC (naive is taken as UTC); ``ValueError`` when out of range."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{value.isoformat()} is outside the supported range once converted to UTC"
        ) from None


def aware_to_utc(value: datetime) -> datetime:
    """An aware ``value`` in UTC (``ValueError`` when out of range); naive ones unchanged."""
    return value if value.tzinfo is None else utc(value)


def no_nul(value: str) -> str:
    """Refuse NUL characters (``ValueError`` names the position)."""
    at = value.find("\x00")
    if at >= 0:
        raise ValueError(f"contains a NUL character at position {at}")
    return value


def camera_id(value: str) -> str:
    """Refuse ids that are not one safe path component (``..``, ``a/b``, ``.hidden``)."""
    if not _CAMERA_ID.fullmatch(value):
        raise ValueError(
            f"camera id {value[:80]!r}: 1-64 letters, digits, '_', '-' or '.', "
            "not starting with '.'"
        )
    return value


ApiDatetime = Annotated[datetime, AfterValidator(aware_to_utc)]
CameraId = Annotated[
    str, Field(min_length=1, max_length=64, pattern=CAMERA_ID_PATTERN), AfterValidator(camera_id)
]
