"""The exported clip plays in Chromium: a ``<video>`` on the file, ``currentTime`` advances."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcc.runtime.services import Services
from tests.rtcc.evidence.test_export import export_hit
from tests.support.evidence import Recorded

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser]


@pytest.fixture
def services(sqlite_services: Services) -> Services:
    """One database is enough here: this is about the file, not storage."""
    return sqlite_services


def test_exported_clip_plays_in_chromium(
    services: Services, recorded: Recorded, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM_ARGS

    row = export_hit(services, recorded.hit_id)
    clip = services.settings.data_dir / str(row.path) / "video" / "cam1.mp4"
    page_file = tmp_path / "play.html"
    page_file.write_text(
        f'<video id="v" src="{clip.as_uri()}" muted autoplay playsinline></video>'
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=[*CHROMIUM_ARGS, "--allow-file-access-from-files"])
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            page.wait_for_function(
                "() => { const v = document.getElementById('v');"
                " return v.error || v.currentTime > 1.5; }", timeout=20_000)
            state = page.evaluate(
                "() => { const v = document.getElementById('v'); return {error: v.error &&"
                " v.error.code, t: v.currentTime, d: v.duration, w: v.videoWidth}; }")
        finally:
            browser.close()
    assert state["error"] is None, state
    assert state["t"] > 1.5 and state["w"] == 320
    assert abs(state["d"] - 7.2) <= 0.1  # the window: 3.35 s before to 2.85 s after a 1 s hit
