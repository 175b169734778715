"""Two API instances on one NATS server: a hit made from a node's read reaches the websocket
clients of both instances (each through its own bus subscription), filtered by visibility."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cameras.catalog import CameraSpec, create_camera
from hotlist.formats import ParsedEntry
from hotlist.service import replace_list
from rtcc.bus import make_bus
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox
from rtcc.db import transaction
from rtcc.runtime.forwarder import Forwarder
from rtcc.runtime.hotlists import rebuild_index
from rtcc.runtime.ingest_consumer import IngestConsumer
from rtcc.runtime.services import Services, build_services
from tests.support.natsserver import NatsServer
from tests.support.reads import T0, read
from web.app import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def instances(
    services: Services, make_settings: Any, tmp_path: Path
) -> Iterator[tuple[Services, Services]]:
    server = NatsServer(tmp_path / "js").start()
    settings = make_settings(database={"url": services.settings.database_url},
                             bus={"url": server.url})
    pair = (build_services(settings, bus=make_bus(settings)),
            build_services(settings, bus=make_bus(settings), run_migrations=False))
    with transaction(pair[0].sessions) as s:
        for cam in ("cam-a", "cam-b"):
            create_camera(s, CameraSpec(id=cam, url="/v.mp4"), now=T0, origin="api")
        replace_list(s, name="stolen", entries=[ParsedEntry(line=1, plate="HOT0010")], now=T0)
    rebuild_index(pair[0])
    yield pair
    for svc in pair:
        svc.engine.dispose()
        getattr(svc.bus, "close")()  # noqa: B009 - NatsBus.close
    server.stop()


def _next_hit(ws: Any) -> dict[str, Any]:
    while True:
        message = ws.receive_json()
        if message["type"] == "hit":
            return dict(message)


@pytest.mark.timeout(120)
def test_hit_reaches_websockets_of_both_instances(
    instances: tuple[Services, Services], api_client: Any, tmp_path: Path
) -> None:
    svc_a, svc_b = instances
    app_a, app_b = create_app(svc_a), create_app(svc_b)
    on_a = api_client("supervisor", app=app_a)
    on_b = api_client("supervisor", app=app_b)
    officer_b = api_client("officer", app=app_b, cameras=["cam-b"])  # not cam-a
    consumer = IngestConsumer(svc_a, svc_a.bus.conn).start()  # type: ignore[attr-defined]
    node = NatsConnection.open(svc_a.settings.bus)
    outbox = Outbox(tmp_path / "outbox.db")
    forwarder = Forwarder(node, outbox, node_id="n1").start()
    try:
        with on_a.websocket_connect("/ws/events") as ws_a, \
                on_b.websocket_connect("/ws/events") as ws_b, \
                officer_b.websocket_connect("/ws/events") as ws_o:
            for ws in (ws_a, ws_b, ws_o):
                assert ws.receive_json()["type"] == "hello"
            forwarder.submit(read(10))  # cam-a, HOT0010: a hit
            hit_a, hit_b = _next_hit(ws_a), _next_hit(ws_b)
            assert hit_a == hit_b
            assert (hit_a["plate"], hit_a["camera_id"], hit_a["hotlist"]) == (
                "HOT0010", "cam-a", "stolen")
            forwarder.submit(read(11))  # cam-b, not hotlisted
            # The officer sees cam-b only: cam-a's read and hit were never sent to him.
            first = ws_o.receive_json()
            assert (first["type"], first["camera_id"], first["plate"]) == (
                "read", "cam-b", "RD00011")
    finally:
        forwarder.stop()
        consumer.stop()
        node.close()
        outbox.close()
