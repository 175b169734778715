"""The whole path: a file camera, the real models, a hotlist hit pushed live over /ws/events."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select

from rtcc.models import Camera, Hit, PlateRead
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import build_services
from tests.support.paths import shared_path
from tests.support.serving import serve
from web.app import create_app

pytestmark = pytest.mark.slow


def issue_token(services: Any, role: str) -> str:
    """A real user with ``role`` and an API token, as an admin would issue it."""
    from rtcc.audit import SYSTEM
    from rtcc.auth import tokens, users

    with services.sessions() as session:
        users.create_user(
            session, username=f"{role}1", roles=[role], password="correct horse battery",
            now=services.clock.now(), actor=SYSTEM,
            min_password_length=services.settings.auth.min_password_length,
        )
        _, secret = tokens.issue(
            session, username=f"{role}1", now=services.clock.now(), actor=SYSTEM, name="e2e"
        )
        session.commit()
    return str(secret)


async def wait_for(url: str, token: str, predicate: Any, timeout: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(url, additional_headers=headers) as ws:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching event")
            msg = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            if predicate(msg):
                return msg


def test_file_camera_hit_reaches_the_websocket_and_the_database(
    make_settings: Any, db_url: str, model_dir: Path, tmp_path: Path
) -> None:
    video = shared_path("data/video/theAIGuysCode/license_plate.mp4")
    hotlist = tmp_path / "stolen.csv"
    hotlist.write_text("plate,state,reason\nLS15EBC,,stolen vehicle\nAB12CDE,,other\n")
    settings = make_settings(
        database={"url": db_url},
        lpr={"model_dir": str(model_dir)},
        cameras=[{"id": "cam-1", "url": str(video), "loop": True, "detect_fps": 5}],
        hotlists=[{"name": "stolen", "file": str(hotlist)}],
    )
    services = build_services(settings)
    app = create_app(services, Runtime(services))
    token = issue_token(services, "officer")
    with serve(app) as base:
        ws_url = base.replace("http", "ws") + "/ws/events"
        # The camera starts with the server: its first hit can come before this socket has
        # subscribed (the console catches up over REST); the next pass of the looping clip
        # updates that hit, which the socket then receives with the same fields.
        hit = asyncio.run(wait_for(
            ws_url, token,
            lambda m: m["type"] in ("hit", "hit_updated") and m["plate"] == "LS15EBC", 120,
        ))
        assert hit["camera_id"] == "cam-1"
        assert hit["hotlist"] == "stolen"
        assert hit["reason"] == "stolen vehicle"
        assert hit["observed_at"]
        snap = httpx.get(base + hit["snapshot_url"], headers={"Authorization": f"Bearer {token}"})
        assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"
    with services.sessions() as session:
        stored = session.scalars(select(Hit)).all()
        assert [h.plate for h in stored] == ["LS15EBC"]
        read = session.get(PlateRead, stored[0].read_id)
        assert read is not None and read.plate == "LS15EBC" and read.camera_id == "cam-1"
        assert read.observed_at.tzinfo is not None
        assert (settings.data_dir / read.snapshot_path).is_file()
    services.engine.dispose()


def test_missing_video_file_gives_error_status_and_server_keeps_running(
    make_settings: Any, tmp_path: Path, model_dir: Path
) -> None:
    settings = make_settings(
        database={"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        lpr={"model_dir": str(model_dir)},
        cameras=[{"id": "ghost", "url": str(tmp_path / "missing.mp4")}],
    )
    services = build_services(settings)
    app = create_app(services, Runtime(services))
    with serve(app) as base:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with services.sessions() as session:
                cam = session.get(Camera, "ghost")
                if cam is not None and cam.state == "error":
                    break
            time.sleep(0.5)
        assert cam is not None and cam.state == "error"
        assert "video file not found" in (cam.last_error or "")
        assert httpx.get(base + "/api/health").status_code == 200
    services.engine.dispose()
