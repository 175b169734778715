"""The admin console's node view: a heartbeating node with its cameras and heartbeat age, and a
configured node that never beat, from ``GET /api/nodes`` on a server with a NATS bus."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import yaml
from playwright.sync_api import Page, expect

from rtcc.bus.connection import NatsConnection
from rtcc.cluster.kv import ClusterKV
from rtcc.config import load_settings
from tests.support.browser import CHROMIUM, login
from tests.support.console_server import ConsoleServer
from tests.support.natsserver import NatsServer

pytestmark = pytest.mark.browser


class NodesConsole(ConsoleServer):
    """The browser-test server on a bus, with two configured nodes and no local cameras."""

    bus_url = ""

    def prepare(self) -> None:
        super().prepare()
        cfg = yaml.safe_load(self.config.read_text(encoding="utf-8"))
        cfg.pop("lpr", None)
        cfg["cameras"] = []
        cfg["bus"] = {"url": self.bus_url}
        cfg["cluster"] = {"node_ttl_s": 120, "nodes": [
            {"id": "n1", "host": "rack-1"}, {"id": "trailer-7", "host": "trailer"}]}
        self.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    root = tmp_path_factory.mktemp("nodes")
    nats = NatsServer(root / "js").start()
    server = NodesConsole(root=root, video=root / "none.mp4", model_dir=root / "no-models",
                          serve_args=("--role", "api"))
    server.bus_url = nats.url
    server.prepare()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        nats.stop()


def test_admin_sees_each_node_with_its_cameras_and_heartbeat_age(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    settings = load_settings(console.config)
    conn = NatsConnection.open(settings.bus)
    try:
        kv = ClusterKV(conn, settings.cluster)
        conn.run(kv.open())
        now = time.time()
        conn.run(kv.beat("n1", {"at": now - 2.0, "host": "rack-1", "cameras": ["cam-a", "cam-b"],
                                "cpu": 37.0, "version": "9.9.9", "outbox": 0}))
        page = new_page()
        login(page, "ada")
        page.goto("/#/nodes")
        expect(page.locator("#nav a[data-view='nodes'].active")).to_be_visible()
        live = page.locator("tr[data-node='n1']")
        expect(live.locator("[data-testid=camera-count]")).to_have_text("2")
        expect(live).to_contain_text("cam-a, cam-b")
        expect(live).to_contain_text("ONLINE")
        expect(live.locator("[data-testid=heartbeat-age]")).to_contain_text("s ago")
        age = float(live.locator("[data-testid=heartbeat-age]").inner_text().split()[0])
        assert 1.5 <= age < 30
        silent = page.locator("tr[data-node='trailer-7']")
        expect(silent).to_contain_text("OFFLINE")
        expect(silent.locator("[data-testid=heartbeat-age]")).to_have_text("never")
        expect(silent.locator("[data-testid=camera-count]")).to_have_text("0")
    finally:
        conn.close()


def test_officers_have_no_node_view(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    login(page, "olivia")
    expect(page.locator("#nav a").first).to_be_visible()
    assert page.locator("#nav a[data-view='nodes']").count() == 0
