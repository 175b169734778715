"""The transparency report page in real Chromium: an auditor sees the computed figures of a
synthetic year, a supervisor enters text (a new version) and signs off; the public page opens
without login and shows no plate, user or camera-level detail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect
from sqlalchemy import text

from rtcc.audit import SYSTEM
from rtcc.auth.users import create_user
from rtcc.config import load_settings
from rtcc.db import transaction
from rtcc.runtime.services import build_services
from tests.support.activity_year import END, START, fill_year
from tests.support.browser import CHROMIUM, login
from tests.support.console_server import PASSWORD, USERS, ConsoleServer

pytestmark = pytest.mark.browser


class ReportServer(ConsoleServer):
    """``rtcc serve`` without cameras, on a database holding a synthetic year (2025)."""

    def prepare(self) -> None:
        cfg = {"environment": "test", "data_dir": str(self.root / "data"),
               "server": {"host": "127.0.0.1", "port": self.port},
               "transparency": {"public_page": True}}
        self.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        services = build_services(load_settings(self.config))
        try:
            with transaction(services.sessions) as session:
                fill_year(session, services.settings.data_dir)
                for name, roles in USERS.items():
                    create_user(session, username=name, roles=roles, password=PASSWORD,
                                now=services.clock.now(), actor=SYSTEM, min_password_length=12)
        finally:
            services.engine.dispose()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    root = tmp_path_factory.mktemp("report")
    server = ReportServer(root=root, video=root / "none.mp4", model_dir=root)
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _reads_2025(server: ConsoleServer) -> int:
    services = build_services(load_settings(server.config), run_migrations=False)
    try:
        with services.sessions() as s:
            return int(s.execute(text("SELECT count(*) FROM plate_read WHERE observed_at >= :s "
                                      "AND observed_at < :e"),
                                 {"s": START.isoformat(" "), "e": END.isoformat(" ")}).scalar_one())
    finally:
        services.engine.dispose()


def _open_report(page: Page) -> None:
    page.goto("/#/transparency")
    page.fill("[data-testid=tr-year]", "2025")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-testid=tr-report][data-state=ready]")).to_be_visible()


def test_auditor_sees_figures_and_supervisor_signs_off(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    login(page, "audrey")
    expect(page.locator("#nav a[data-view=transparency]")).to_be_visible()
    _open_report(page)
    reads = page.locator("section[data-technology=lpr] tr[data-figure=reads] td.num")
    expect(reads).to_have_text(f"{_reads_2025(console):,}")
    expect(page.locator("[data-testid=tr-signoff]")).to_have_text("Not signed off")

    sup = new_page()
    login(sup, "sam")
    _open_report(sup)
    form = sup.locator("[data-testid=tr-form-lpr]")
    form.locator("textarea[name=funding]").fill("General fund; no federal grants.")
    form.get_by_role("button", name="Save new version").click()
    expect(sup.locator("[data-testid=tr-version-lpr]")).to_contain_text("Version 1, entered by sam")
    sup.fill("[data-testid=tr-statement]", "Figures and text reviewed.")
    sup.click("[data-testid=tr-signoff-btn]")
    expect(sup.locator("[data-testid=tr-signoff]")).to_contain_text("Signed off by sam")

    _open_report(page)
    expect(page.locator("[data-testid=tr-signoff]")).to_contain_text("Signed off by sam")
    expect(page.locator("[data-testid=tr-form-lpr] textarea[name=funding]")).to_have_value(
        "General fund; no federal grants.")
    page.screenshot(path=screenshots / "20-transparency.png", full_page=True)

    page.check("[data-testid=tr-public]")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("[data-testid=tr-head]")).to_contain_text("public version")


def test_officer_has_no_transparency_view(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    login(page, "olivia")
    expect(page.locator("#nav a[data-view=transparency]")).to_have_count(0)
    assert page.request.get(f"{console.url}/api/transparency/2025").status == 403


def test_public_page_without_login(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page(width=900)
    page.goto("/public/transparency")
    expect(page.locator("h1")).to_have_text("Surveillance technology: public figures")
    body = page.locator("body").inner_text()
    for secret in ("north1", "trailer", "user1", "P0", "north", "south"):
        assert secret not in body, secret
    page.screenshot(path=screenshots / "21-public-transparency.png", full_page=True)


def test_auditor_reviews_the_monthly_sample(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    login(page, "audrey")
    page.goto("/#/oversight")
    expect(page.locator("[data-testid=ov-alerts]")).to_contain_text("No unusual search volume")
    page.fill("[data-testid=ov-month]", "2025-12")
    page.click("[data-testid=ov-draw]")
    rows = page.locator("[data-testid=ov-queue] tr[data-review]")
    expect(rows.first).to_be_visible()
    count = rows.count()
    assert 1 <= count <= 10
    first = rows.first
    first.locator("[data-testid=ov-note]").fill("no matching case file")
    first.get_by_role("button", name="Not justified").click()
    expect(rows).to_have_count(count - 1)  # pending only
    page.screenshot(path=screenshots / "22-oversight.png", full_page=True)


def test_the_served_report_is_styled_under_its_policy(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    """``report.html`` opened from the server: its own <style> block is allowed by hash (the
    page is laid out as when downloaded) and nothing else inline runs."""
    page = new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    login(page, "audrey")
    response = page.goto("/api/transparency/2025/report.html")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "style-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    collapse = page.evaluate(
        "getComputedStyle(document.querySelector('table')).borderCollapse")
    assert collapse == "collapse"  # from the report's stylesheet (the default is 'separate')
    assert blocked == []


def test_api_docs_work_air_gapped(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    """``/docs`` is Swagger UI from the vendored package: every request stays on the server."""
    page = new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url)
            if not r.url.startswith(console.url) else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, "audrey")
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("RTCC console")
    expect(page.locator(".opblock").first).to_be_visible()
    assert elsewhere == [] and errors == []
