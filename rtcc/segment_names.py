"""How recorded video segments are named on disk (one definition, shared by the recorder and
retention): ``video/<camera>/<UTC date>/<HHMMSS_ffffff>Z.mp4`` once finalized, with
``.partial.mp4`` while being written."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath

FINAL = re.compile(
    r"^video/(?P<camera>[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63})/(?P<day>\d{4}-\d{2}-\d{2})/"
    r"(?P<tod>\d{6}_\d{6})Z\.mp4$"
)


def start_of(path: PurePosixPath | str) -> datetime:
    """The segment's start (UTC) from its folder (date) and file name (time of day)."""
    p = PurePosixPath(path)
    stamp = p.name.split("Z", 1)[0]
    day = datetime.strptime(p.parent.name, "%Y-%m-%d")
    tod = datetime.strptime(stamp, "%H%M%S_%f")
    return datetime.combine(day.date(), tod.time(), tzinfo=UTC)


def finalized(rel: str) -> tuple[str, datetime] | None:
    """``(camera_id, start)`` when ``rel`` (relative to data_dir) names a finalized segment."""
    m = FINAL.fullmatch(rel)
    if m is None:
        return None
    try:
        return m["camera"], start_of(rel)
    except ValueError:
        return None
