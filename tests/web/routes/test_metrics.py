"""``/metrics``: Prometheus text with camera states and rates, and the bus backlog with NATS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cameras.catalog import CameraSpec, create_camera, get_camera
from rtcc.bus import make_bus
from rtcc.db import transaction
from rtcc.runtime.services import Services, build_services
from tests.support.natsserver import NatsServer


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _cameras(svc: Services) -> None:
    now = svc.clock.now()
    with transaction(svc.sessions) as s:
        for cid in ("gate-1", "gate-2"):
            create_camera(s, CameraSpec(id=cid, url="/v.mp4"), now=now, origin="api")
        cam = get_camera(s, "gate-1")
        cam.state, cam.input_fps, cam.analysed_fps = "online", 25.0, 4.5


def test_camera_states_and_rates(api_client: Any, api_app: Any) -> None:
    _cameras(api_app.state.services)
    resp = api_client("admin", bearer=True).get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    got = _samples(resp.text)
    assert got[("rtcc_camera_state", (("camera", "gate-1"), ("state", "online")))] == 1
    assert got[("rtcc_camera_state", (("camera", "gate-2"), ("state", "online")))] == 0
    assert got[("rtcc_camera_state", (("camera", "gate-2"), ("state", "offline")))] == 1
    assert got[("rtcc_camera_fps", (("camera", "gate-1"), ("kind", "analysed")))] == 4.5
    assert got[("rtcc_cameras_enabled", ())] == 2
    assert api_client("officer").get("/metrics").status_code == 403
    assert api_client(None).get("/metrics").status_code == 401


@pytest.fixture
def nats_services(make_settings: Any, tmp_path: Path) -> Iterator[Services]:
    server = NatsServer(tmp_path / "js").start()
    settings = make_settings(database={"url": f"sqlite:///{tmp_path / 'm.db'}"},
                             bus={"url": server.url})
    bus = make_bus(settings)
    svc = build_services(settings, bus=bus)
    yield svc
    svc.engine.dispose()
    getattr(bus, "close")()  # noqa: B009 - NatsBus.close
    server.stop()


@pytest.mark.slow
def test_bus_figures_with_nats(nats_services: Services, api_client: Any) -> None:
    from rtcc.runtime.ingest_consumer import start_bus_consumer
    from web.app import create_app

    consumer = start_bus_consumer(nats_services)  # creates the ingest stream and consumer
    assert consumer is not None
    try:
        app = create_app(nats_services)
        got = _samples(api_client("admin", bearer=True, app=app).get("/metrics").text)
        assert got[("rtcc_bus_backlog", (("kind", "pending"),))] == 0
        assert ("rtcc_bus_events_total", (("way", "published"),)) in got
    finally:
        consumer.stop()
