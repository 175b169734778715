"""The console's camera health view shows an overloaded camera's reason as the workers word it
("analysing 3.1 of 5 fps", ``cameras.health.health_reason``), in headless Chromium against the
real ``rtcc serve`` (no plate models; a disabled camera whose health row the test sets, so no
worker overwrites it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, update

from cameras.health import health_reason, live_state
from rtcc.models import Camera
from tests.support.browser import CHROMIUM, login
from tests.support.clips import write_clip
from tests.support.console_server import USERS, ConsoleServer, ModelFreeConsole

pytestmark = pytest.mark.browser

AUDITOR = next(name for name, roles in USERS.items() if roles[0] == "auditor")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    root = tmp_path_factory.mktemp("reason")
    clip = write_clip(root / "clip.mp4", seconds=4, passes=[(1.0, 2.0)])
    server = ModelFreeConsole(root=root, video=clip.path, model_dir=root / "no-models")
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_an_overloaded_camera_says_how_much_it_analyses(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    # A camera of 5 detect-fps that could analyse 62 % of its sampled frames (a busy host).
    figures = {"input_fps": 10.0, "nominal_fps": 10.0, "lag_s": 0.2, "analysed_share": 0.62}
    state = live_state(**figures)
    reason = health_reason(**figures, detect_fps=5.0)
    assert (state, reason) == ("degraded", "analysing 3.1 of 5 fps")
    engine = create_engine(console.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Camera).where(Camera.id == "quay").values(
                state=state, state_reason=reason))
    finally:
        engine.dispose()
    page = new_page()
    login(page, AUDITOR)
    page.goto("/#/cameras")
    row = page.locator("[data-testid=cameras-table] tr[data-camera=quay]")
    expect(row.locator(".badge.state")).to_have_text("◑ DEGRADED")
    expect(row.locator("[data-testid=state-reason]")).to_have_text("analysing 3.1 of 5 fps")
    # A camera that keeps up has no reason: a dash, not an empty or stale cell.
    other = page.locator("[data-testid=cameras-table] tr[data-camera=a40-west]")
    expect(other.locator("[data-testid=state-reason]")).not_to_contain_text("analysing")
