"""The map view in real Chromium against ``rtcc serve``: cameras with view cones, reads, a
gunshot alert arriving live (its covering cameras opened on the live wall), a trailer's track —
drawn from local assets only (every request the page makes is recorded; none leaves 127.0.0.1),
first on the bundled outline map, then on an imported PMTiles base map; a camera click opens
playback at the selected time, or live video at "now"."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rtcc.audit import SYSTEM
from rtcc.auth.users import create_user
from rtcc.cli.main import main
from rtcc.config import load_settings
from rtcc.db import transaction
from rtcc.integrations.geometry import Point, destination
from rtcc.integrations.signing import signed_headers
from rtcc.models import PlateRead
from rtcc.runtime.services import build_services
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, login
from tests.support.console_server import PASSWORD, ConsoleServer
from tests.support.tiles import write_pmtiles

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SPOT = Point(40.7128, -74.0060)
GUNSHOT_SECRET = "map-gunshot-secret-0123"
TRAILER_SECRET = "map-trailer-secret-0123"


class MapServer(ConsoleServer):
    """``rtcc serve`` with located cameras (disabled: no workers), a mobile camera and the
    gunshot and trailer feeds configured."""

    def prepare(self) -> None:
        south = destination(SPOT, 180, 50)
        east = destination(SPOT, 90, 60)
        cameras = [
            {"id": "corner-n", "name": "Main St looking north", "url": "/dev/null/a.mp4",
             "enabled": False, "location": {"lat": south.lat, "lon": south.lon},
             "heading_deg": 0, "fov_deg": 70, "range_m": 120},
            {"id": "corner-e", "name": "2nd Ave looking west", "url": "/dev/null/b.mp4",
             "enabled": False, "location": {"lat": east.lat, "lon": east.lon},
             "heading_deg": 270, "fov_deg": 90, "range_m": 100},
            {"id": "trailer-1", "name": "LPR trailer 1", "url": "/dev/null/c.mp4",
             "enabled": False, "mobile": True, "location": {"lat": SPOT.lat, "lon": SPOT.lon}},
        ]
        cfg = {
            "environment": "test", "data_dir": str(self.root / "data"),
            "server": {"host": "127.0.0.1", "port": self.port}, "cameras": cameras,
            "integrations": {
                "gunshot": {"sources": {"shotspotter": {"secret": GUNSHOT_SECRET}}},
                "trailer_sources": {"trailers": {"secret": TRAILER_SECRET}},
            },
        }
        self.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        services = build_services(load_settings(self.config))
        try:
            with transaction(services.sessions) as session:
                create_user(session, username="dave", roles=["detective"], password=PASSWORD,
                            now=services.clock.now(), actor=SYSTEM, min_password_length=12)
        finally:
            services.engine.dispose()

    def post_signed(self, path: str, body: dict[str, Any], source: str, secret: str) -> Any:
        raw = json.dumps(body).encode()
        headers = {**signed_headers(source, secret, int(time.time()), raw),
                   "Content-Type": "application/json"}
        return httpx.post(f"{self.url}{path}", content=raw, headers=headers, timeout=10)

    def gunshot(self, alert_id: str, at: datetime) -> None:
        resp = self.post_signed("/api/integrations/gunshot", {
            "id": alert_id, "type": "gunfire", "rounds": 5, "latitude": SPOT.lat,
            "longitude": SPOT.lon, "address": "100 Main St", "detected_at": at.isoformat()},
            "shotspotter", GUNSHOT_SECRET)
        assert resp.status_code == 201, resp.text

    def seed(self) -> None:
        now = datetime.now(UTC)
        for minutes, bearing in ((30, 0), (20, 45), (10, 90)):
            where = destination(SPOT, bearing, 300)
            resp = self.post_signed("/api/integrations/trailers/trailer-1/positions", {
                "latitude": where.lat, "longitude": where.lon,
                "at": (now - timedelta(minutes=minutes)).isoformat()}, "trailers", TRAILER_SECRET)
            assert resp.status_code == 201, resp.text
        services = build_services(load_settings(self.config), run_migrations=False)
        try:
            with transaction(services.sessions) as s:
                for i, cam in enumerate(("corner-n", "corner-e", "corner-n")):
                    at = now - timedelta(minutes=5 + i)
                    s.add(PlateRead(camera_id=cam, track_key=f"t{i}", plate=f"MAP{i:03d}",
                                    confidence=0.9, observed_at=at, last_seen_at=at,
                                    created_at=at, updated_at=at))
        finally:
            services.engine.dispose()
        self.gunshot("SST-1", now - timedelta(minutes=2))


@pytest.fixture(scope="module")
def map_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MapServer]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    root = tmp_path_factory.mktemp("map")
    server = MapServer(root=root, video=root / "none.mp4", model_dir=root)
    server.prepare()
    server.start()
    try:
        server.seed()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(map_console: MapServer) -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_map(chromium: Browser, console: MapServer) -> tuple[Page, list[str]]:
    context = chromium.new_context(viewport={"width": 1500, "height": 900},
                                   base_url=console.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    login(page, "dave")
    page.evaluate("location.hash = '#/map'")
    page.wait_for_selector('[data-testid=map][data-ready="1"]')
    return page, requests


def expect_alert_wall(page: Page, alert_id: str) -> None:
    """The live wall shows exactly the alert's two covering cameras, 2×2, under its banner."""
    wall = page.locator("[data-testid=wall]")
    expect(wall).to_have_attribute("data-layout", "2x2")
    expect(wall.locator("figure.tile")).to_have_count(2)
    shown = wall.locator("figure.tile").evaluate_all("ns => ns.map(n => n.dataset.camera)")
    assert sorted(shown) == ["corner-e", "corner-n"]  # not the trailer, which does not cover it
    notice = page.locator("[data-testid=wall-alert]")
    expect(notice).to_contain_text("Gunshot alert")
    expect(notice).to_contain_text("100 Main St")
    expect(notice.get_by_role("link", name="Open on map")).to_have_attribute(
        "href", f"#/map/gunshot/shotspotter/{alert_id}")


def assert_local_only(requests: list[str], console: MapServer) -> None:
    outside = [u for u in requests
               if not u.startswith(f"{console.url}/") and not u.startswith(("data:", "blob:"))]
    assert requests and not outside, f"requests that left the host: {outside}"


def test_map_renders_from_local_assets_with_the_bundled_outline_map(
    chromium: Browser, map_console: MapServer, screenshots: Path
) -> None:
    page, requests = open_map(chromium, map_console)
    mapbox = page.locator("[data-testid=map]")
    expect(mapbox).to_have_attribute("data-basemap", "bundled")
    assert page.locator("path.basemap-outline").count() > 100  # country outlines
    expect(page.locator("path.cam-marker")).to_have_count(3)
    expect(page.locator("path.cam-cone")).to_have_count(3)
    expect(page.locator("path.gunshot-marker")).to_have_count(1)
    expect(page.locator("path.read-marker")).to_have_count(3)
    expect(page.locator("path.track-trailer-1")).to_have_count(1)
    expect(page.locator("[data-testid=map-status]")).to_contain_text("1 gunshot alert(s)")
    page.screenshot(path=screenshots / "map-01-bundled.png")

    # A new alert arrives live: a console alert, and (the detective may watch live video) its
    # covering cameras open at once on the live wall, 2×2, under a banner naming the alert.
    map_console.gunshot("SST-2", datetime.now(UTC))
    banner = page.locator("[data-testid=gunshot-banner]")
    expect(banner).to_contain_text("100 Main St", timeout=5_000)
    expect(banner).to_contain_text("2 covering camera(s)")
    expect(page).to_have_url(re.compile(r"#/wall/gunshot/shotspotter/SST-2$"))
    expect_alert_wall(page, "SST-2")
    expect(banner.locator("[data-testid=gunshot-open-wall]")).to_have_count(0)  # already open
    page.screenshot(path=screenshots / "map-01b-gunshot-wall.png")
    banner.get_by_role("button", name="Open on map").click()
    expect(page.locator("path.gunshot-marker")).to_have_count(2)
    detail = page.locator("[data-testid=map-side]")
    expect(detail.locator("[data-testid=gunshot-detail]")).to_contain_text("GUNFIRE · 5 rounds")
    expect(detail.locator("[data-testid=gunshot-wall] figure")).to_have_count(2)
    expect(detail.locator("[data-testid=reads-near-count]")).to_have_text("3")
    assert "MAP0" not in detail.inner_text()  # plates only after a stated purpose
    purpose = detail.locator("[data-testid=gunshot-reads]")
    purpose.locator("select[name=purpose]").select_option("investigation")
    purpose.locator("input[name=reason]").fill("shots fired on Main St")
    purpose.locator("input[name=case_number]").fill("C-2026-0911")
    purpose.get_by_role("button", name="Show plates (audited)").click()
    expect(detail.locator("[data-testid=reads-near-list] li")).to_have_count(3)
    page.screenshot(path=screenshots / "map-02-gunshot.png")
    assert_local_only(requests, map_console)
    assert any("/static/vendor/leaflet/leaflet.js" in u for u in requests)
    assert any("/static/vendor/world-atlas/countries-110m.json" in u for u in requests)


def test_an_open_dialog_keeps_focus_and_the_banner_offers_the_covering_cameras(
    chromium: Browser, map_console: MapServer
) -> None:
    page, _ = open_map(chromium, map_console)
    # A modal dialog is open, as the hit confirmation is: the alert must not navigate away.
    page.evaluate("""() => { const d = document.createElement('dialog'); d.id = 'busy';
        d.append(Object.assign(document.createElement('input'), { name: 'typing' }));
        document.body.append(d); d.showModal(); d.querySelector('input').focus(); }""")
    map_console.gunshot("SST-3", datetime.now(UTC))
    banner = page.locator("[data-testid=gunshot-banner]")
    expect(banner).to_contain_text("2 covering camera(s)", timeout=5_000)
    offer = banner.locator("[data-testid=gunshot-open-wall]")
    expect(offer).to_have_text("Open covering cameras")
    time.sleep(0.5)
    assert page.evaluate("location.hash") == "#/map"
    assert page.evaluate("document.activeElement.name") == "typing"
    page.evaluate("document.querySelector('#busy').close()")
    offer.click()
    expect(page).to_have_url(re.compile(r"#/wall/gunshot/shotspotter/SST-3$"))
    expect_alert_wall(page, "SST-3")
    page.locator("[data-testid=wall-back]").click()
    expect(page).to_have_url(re.compile(r"#/wall$"))
    expect(page.locator("[data-testid=wall-alert]")).to_have_count(0)
    expect(page.locator("[data-testid=wall] figure.tile")).to_have_count(3)  # every camera


def test_camera_click_opens_playback_at_the_selected_time_or_live_at_now(
    chromium: Browser, map_console: MapServer
) -> None:
    page, _ = open_map(chromium, map_console)
    page.locator("[data-testid=map-at]").fill("2026-03-01T10:15:30")
    expected = page.evaluate("new Date('2026-03-01T10:15:30').toISOString()")
    page.locator("path.cam-corner-n").click()
    expect(page.locator("[data-testid=playback]")).to_have_count(1)
    hash_ = page.evaluate("location.hash")
    assert hash_.startswith("#/playback/corner-n/"), hash_
    assert page.evaluate("decodeURIComponent(location.hash.split('/')[3])") == expected

    page.evaluate("location.hash = '#/map'")
    page.wait_for_selector('[data-testid=map][data-ready="1"]')
    page.locator("[data-testid=map-at]").fill("2026-03-01T10:15:30")
    page.locator("[data-testid=map-now]").click()
    page.locator("path.cam-corner-e").click()
    live = page.locator("[data-testid=map-side] [data-testid=map-live]")
    expect(live).to_have_attribute("src", re.compile(r"/api/cameras/corner-e/stream\.mjpeg"))
    assert page.evaluate("location.hash") == "#/map"


def test_map_uses_an_imported_pmtiles_base_map(
    chromium: Browser, map_console: MapServer, screenshots: Path, tmp_path: Path
) -> None:
    source = tmp_path / "city.pmtiles"
    write_pmtiles(source, max_zoom=3)
    assert main(["map", "import", str(source), "--config", str(map_console.config)]) == 0
    page, requests = open_map(chromium, map_console)
    expect(page.locator("[data-testid=map]")).to_have_attribute("data-basemap", "imported")
    page.locator("[data-testid=map]").evaluate("n => n.scrollIntoView()")
    page.wait_for_function(
        "document.querySelectorAll('.basemap-tiles img.leaflet-tile-loaded').length > 0")
    expect(page.locator("path.cam-marker")).to_have_count(3)
    loaded = page.locator(".basemap-tiles img.leaflet-tile-loaded").first
    assert loaded.evaluate("img => img.naturalWidth") == 256
    page.screenshot(path=screenshots / "map-03-imported.png")
    assert_local_only(requests, map_console)
    assert any("/api/map/tiles/" in u for u in requests)
    assert page.locator("path.basemap-outline").count() == 0
