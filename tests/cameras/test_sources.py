from __future__ import annotations

from pathlib import Path

import pytest

from cameras.sources import AvSource, SourceError, redact_url
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings


def test_redact_url_hides_credentials_anywhere() -> None:
    text = "open rtsp://admin:pa@ss@10.0.0.5:554/h264 failed; http://u@cam/x.mjpg"
    out = redact_url(text)
    assert "admin" not in out and "pa@ss" not in out and "u@cam" not in out
    assert "rtsp://***@10.0.0.5:554/h264" in out and "http://***@cam/x.mjpg" in out


def _open(url: str) -> AvSource:
    src = AvSource(CameraSettings(id="c", url=url), SystemClock(), wait=lambda s: False)
    src.open()
    return src


@pytest.mark.parametrize(
    ("url", "words", "state"),
    [
        ("/no/such/file.mp4", "not found", "error"),
        ("ftp://user:secret@host/x", "unsupported URL scheme", "error"),
        ("rtsp://user:secret@127.0.0.1:9/cam", "connection refused", "offline"),
    ],
)
def test_open_failures_are_classified(url: str, words: str, state: str) -> None:
    with pytest.raises(SourceError) as info:
        _open(url)
    assert words in info.value.message and info.value.state == state
    assert "secret" not in info.value.message


def test_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    path.write_text("hello")
    with pytest.raises(SourceError, match="not a readable video") as info:
        _open(str(path))
    assert info.value.state == "error"
