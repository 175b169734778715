"""RTSP server fixtures (the clip fixture ``rtsp_clip`` is in ``tests/conftest.py``; the server
itself is ``tests.support.rtsp.RtspServer``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.rtsp import RtspServer


@pytest.fixture
def rtsp_server(rtsp_clip: Path) -> Iterator[RtspServer]:
    server = RtspServer(rtsp_clip)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def rtsp_auth_server(rtsp_clip: Path) -> Iterator[RtspServer]:
    server = RtspServer(rtsp_clip, user="officer", password="s3cret-pass")
    server.start()
    yield server
    server.kill()
