"""Camera changes take effect on a running single-host server, without a restart: a real
runtime with real worker processes (looping file cameras, scripted recognizer), changed through
the real admin API and, as ``rtcc cameras import`` does, straight in the database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psutil
import pytest
from sqlalchemy import select

from cameras.catalog import CameraSpec, create_camera, disable_camera
from rtcc.models import Camera, CameraStatus, PlateRead
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import Services
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory
from web.app import create_app

pytestmark = pytest.mark.slow
SCRIPT = ScriptedFactory((Reading(1.0, 3.0, "ABC123"),))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Clip, Clip]:
    folder = tmp_path_factory.mktemp("clips")
    return (write_clip(folder / "one.mp4", seconds=4, passes=[(1.0, 3.0)]),
            write_clip(folder / "two.mp4", seconds=4, passes=[(1.0, 3.0)]))


@contextmanager
def _runtime(services: Services, reload_s: float) -> Iterator[Runtime]:
    runtime = Runtime(services, recognizer=SCRIPT, camera_reload_s=reload_s)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


def _until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def _row(services: Services, cam_id: str) -> Camera | None:
    with services.sessions() as session:
        cam = session.get(Camera, cam_id)
        session.expunge_all()
    return cam


def _state_is(services: Services, cam_id: str, state: str) -> Callable[[], bool]:
    def check() -> bool:
        cam = _row(services, cam_id)
        return cam is not None and cam.state == state

    return check


def _pid(runtime: Runtime, cam_id: str) -> int | None:
    assert runtime.supervisor is not None
    return runtime.supervisor.pids().get(cam_id)


def test_cameras_added_changed_and_disabled_through_the_api_apply_at_once(
    services: Services, api_client: Any, clips: tuple[Clip, Clip]
) -> None:
    one, two = clips
    # A pass every minute: what happens within the test is the routes' doing.
    with _runtime(services, reload_s=60) as runtime:
        admin = api_client("admin", app=create_app(services, runtime))
        assert runtime.supervisor is not None and runtime.supervisor.pids() == {}
        for cam_id in ("gate", "side"):
            body = {"id": cam_id, "url": str(one.path), "record": False}
            assert admin.post("/api/admin/cameras", json=body).status_code == 201
        for cam_id in ("gate", "side"):
            _until(_state_is(services, cam_id, "online"), f"{cam_id} online")

        def read_of_gate() -> bool:
            with services.sessions() as session:
                query = select(PlateRead.id).where(PlateRead.camera_id == "gate")
                return session.scalar(query) is not None

        _until(read_of_gate, "a read of the added camera stored")
        gate, side = _pid(runtime, "gate"), _pid(runtime, "side")

        resp = admin.patch("/api/admin/cameras/gate", json={"url": str(two.path)})
        assert resp.status_code == 200
        new_gate = _until(lambda: _pid(runtime, "gate") not in (None, gate) and
                          _pid(runtime, "gate"), "gate restarted")
        assert not psutil.pid_exists(gate or 0) and _pid(runtime, "side") == side
        _until(_state_is(services, "gate", "online"), "gate online on its new url")

        assert admin.post("/api/admin/cameras/gate/disable").status_code == 200
        _until(lambda: _pid(runtime, "gate") is None, "gate's worker stopped")
        assert not psutil.pid_exists(new_gate) and _pid(runtime, "side") == side
        _until(_state_is(services, "gate", "offline"), "gate offline")
        time.sleep(1.5)  # nothing brings it back, and no late status says otherwise
        cam = _row(services, "gate")
        assert cam is not None and cam.state == "offline" and cam.state_reason == "disabled"
        assert _pid(runtime, "gate") is None and _pid(runtime, "side") == side
        with services.sessions() as session:
            history = session.scalars(select(CameraStatus.state).where(
                CameraStatus.camera_id == "gate").order_by(CameraStatus.id)).all()
        assert history[-1] == "offline"


def test_the_periodic_pass_applies_changes_made_outside_the_server(
    services: Services, clips: tuple[Clip, Clip]
) -> None:
    with _runtime(services, reload_s=0.5) as runtime:
        with services.sessions() as session:  # as ``rtcc cameras import`` does
            create_camera(session, CameraSpec(id="cli", url=str(clips[0].path), record=False),
                          now=services.clock.now(), origin="csv")
            session.commit()
        _until(_state_is(services, "cli", "online"), "the imported camera online")
        pid = _pid(runtime, "cli")
        assert pid is not None
        with services.sessions() as session:
            disable_camera(session, "cli", now=services.clock.now())
            session.commit()
        _until(lambda: _pid(runtime, "cli") is None, "its worker stopped")
        assert not psutil.pid_exists(pid)
        _until(_state_is(services, "cli", "offline"), "the disabled camera offline")
