"""Browser fixtures: the real server (module-scoped), headless Debian Chromium and a screenshots
folder (printed, gitignored). ``login`` and the Chromium settings are in
``tests.support.browser``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from tests.support.console_server import ConsoleServer
from tests.support.paths import shared_path


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

