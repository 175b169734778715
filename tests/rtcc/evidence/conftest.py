"""Evidence fixtures: a real H.264 clip and its recording (``tests.support.evidence``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcc.runtime.services import Services
from tests.support.evidence import Recorded, make_recorded, write_h264_clip


@pytest.fixture(scope="session")
def h264_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of 320x240 H.264 at 10 fps, a keyframe every 2 s, a moving box and a counter."""
    return write_h264_clip(tmp_path_factory.mktemp("clip") / "source.mp4")


@pytest.fixture
def recorded(services: Services, h264_clip: Path) -> Recorded:
    """Camera ``cam1`` recorded 12:00:00-12:00:20 in 6 s segments; a hit at 12:00:08."""
    return make_recorded(services, h264_clip)
