"""Browser fixtures: the real server (module-scoped), headless Debian Chromium, login helper,
and a screenshots folder (printed, gitignored)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import ROOT, shared_path
from tests.web.server import PASSWORD, ConsoleServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    server = ConsoleServer(
        root=tmp_path_factory.mktemp("console"),
        video=shared_path("data/video/theAIGuysCode/license_plate.mp4"),
        model_dir=shared_path("models"),
    )
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(console: ConsoleServer) -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
    return SCREENSHOTS


@pytest.fixture
def new_page(browser: Browser, console: ConsoleServer) -> Iterator[Callable[..., Page]]:
    contexts = []

    def make(width: int = 1600, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      base_url=console.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for c in contexts:
        c.close()


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the console shell."""
    page.goto("/")
    page.fill("#login-user", username)
    page.fill("#login-pass", password)
    page.click("#login-submit")
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector('#conn[data-state="live"]')
