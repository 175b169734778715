"""A camera node's operations, seen from the consoles, with a real nats-server and real
processes: a camera disabled by an admin says ``offline`` as its last word (not ``online``
forever), and a node's full disk raises the ``storage_degraded`` alert naming the node (and
clears it when space is back)."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from sqlalchemy import create_engine, text

from rtcc.bus.connection import NatsConnection
from rtcc.bus.natsbus import NatsBus
from rtcc.config import BusSettings
from rtcc.events import CameraStatusEvent, Event, SyncSubscription, SystemAlertEvent
from rtcc.vocab import AlertSeverity, SystemAlertKind
from tests.support import tinyfs
from tests.support.clips import write_clip
from tests.support.natsserver import NatsServer, free_port
from tests.support.paths import POSTGRES_URL, ROOT
from tests.support.pgdb import scratch_database
from tests.support.processes import stop

pytestmark = pytest.mark.slow
QUICK = {"read_timeout_s": 3, "connect_timeout_s": 3, "reconnect_max_s": 2, "detect_fps": 2}


class Site:
    """A nats-server, a database and the processes of one test; the consoles' view of the
    events (a bus following the events stream, as every API instance does)."""

    def __init__(self, root: Path, stack: ExitStack) -> None:
        self.root, self.stack = root, stack
        server = NatsServer(root / "js").start()
        stack.callback(server.stop)
        self.nats_url = server.url
        self.db_url = f"sqlite:///{root / 'rtcc.db'}"
        if POSTGRES_URL:  # the multi-host database
            self.db_url = stack.enter_context(scratch_database(POSTGRES_URL, prefix="rtcc_o"))
        self.engine = create_engine(self.db_url)
        stack.callback(self.engine.dispose)
        conn = NatsConnection.open(BusSettings(url=server.url))
        stack.callback(conn.close)
        self.bus = NatsBus(conn, conn.settings).start()
        self.events: SyncSubscription = self.bus.subscribe()

    def config(self, data_dir: Path, cameras: list[dict[str, Any]]) -> Path:
        path = self.root / f"rtcc-{data_dir.name}.yaml"
        settings = {
            "environment": "test",
            "data_dir": str(data_dir),
            "log_level": "INFO",
            "database": {"url": self.db_url},
            "server": {"port": free_port()},
            "bus": {"url": self.nats_url, "ingest_ack_wait_s": 5},
            "cluster": {"nodes": [{"id": "n1"}], "renew_s": 1, "lease_ttl_s": 6,
                        "node_ttl_s": 4, "cameras_refresh_s": 1},
            "storage": {"check_interval_s": 0.5, "min_free_mb": 0},
            "auth": {"bootstrap_admin": "admin", "bootstrap_password": "correct horse battery"},
            "retention": {"enabled": False},
            "cameras": cameras,
        }
        path.write_text(yaml.safe_dump(settings))
        return path

    def spawn(self, name: str, config: Path, *args: str) -> None:
        """Start ``rtcc ARGS`` and wait until it is up (an API answers, a node says so)."""
        log_path = self.root / f"{name}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "rtcc.cli.main", *args, "--config", str(config)],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.stack.callback(stop, proc)
        port = yaml.safe_load(config.read_text())["server"]["port"]
        deadline = time.monotonic() + 90
        while not _up(args[0], log_path, port):
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)

    def wait_event(self, want: Callable[[Event], bool], timeout: float, what: str) -> Event:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if want(event):
                return event
        raise AssertionError(f"no event: {what}")

    def camera(self, cam_id: str) -> tuple[str, str | None]:
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT state, node FROM camera WHERE id = :id"), {"id": cam_id}
            ).one()
        return row[0], row[1]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with ExitStack() as stack:
        yield Site(tmp_path, stack)


def _up(command: str, log: Path, port: int) -> bool:
    if command == "node":
        return "running" in log.read_text(errors="replace")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answers
    except OSError:
        return False


def _status(cam: str, state: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, CameraStatusEvent) and e.camera_id == cam and e.state == state


def test_a_camera_disabled_on_a_node_ends_offline(site: Site, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", seconds=4, passes=[], fps=10).path
    cams = [{"id": c, "url": str(clip), "lpr": False, **QUICK} for c in ("cam-1", "cam-2")]
    config = site.config(tmp_path / "data", cams)
    site.spawn("api", config, "serve", "--role", "api")
    site.spawn("n1", config, "node", "--node-id", "n1")
    for cam in ("cam-1", "cam-2"):
        site.wait_event(_status(cam, "online"), 90, f"{cam} online")
    assert site.camera("cam-1") == ("online", "n1")
    with site.engine.begin() as conn:  # an admin disables it (through any instance)
        conn.execute(text("UPDATE camera SET enabled = false WHERE id = 'cam-1'"))
    event = site.wait_event(_status("cam-1", "offline"), 30, "cam-1 offline")
    assert isinstance(event, CameraStatusEvent) and event.node == "n1"
    deadline = time.monotonic() + 10
    while site.camera("cam-1")[0] != "offline":
        assert time.monotonic() < deadline, site.camera("cam-1")
        time.sleep(0.2)
    time.sleep(2)  # nothing after it says otherwise; the other camera runs on
    assert site.camera("cam-1")[0] == "offline" and site.camera("cam-2") == ("online", "n1")


def test_a_full_disk_on_a_node_alerts_the_consoles_and_clears(site: Site) -> None:
    with tinyfs.tmpfs(16) as mount:
        data = mount / "data"
        site.spawn("n1", site.config(data, []), "node", "--node-id", "n1")
        filler = tinyfs.fill(mount)

        def alert(active: bool) -> Callable[[Event], bool]:
            return lambda e: (
                isinstance(e, SystemAlertEvent)
                and e.kind is SystemAlertKind.STORAGE_DEGRADED
                and e.active is active
            )

        raised = site.wait_event(alert(True), 30, "storage_degraded raised")
        assert isinstance(raised, SystemAlertEvent)
        assert raised.severity is AlertSeverity.CRITICAL and raised.origin == "node n1"
        assert raised.message.startswith("node n1: storage full: ") and str(data) in raised.message
        filler.unlink()
        cleared = site.wait_event(alert(False), 30, "storage_degraded cleared")
        assert isinstance(cleared, SystemAlertEvent)
        assert cleared.message.startswith("node n1: storage recovered")
        assert cleared.origin == "node n1"


def test_the_cameras_of_a_node_share_one_detector(
    site: Site, tmp_path: Path, model_dir: Path
) -> None:
    """``lpr.detector: shared`` (the default) on a node: one detector service for all its
    cameras, not one per camera (each camera has a supervisor of its own there)."""
    clip = write_clip(tmp_path / "clip.mp4", seconds=4, passes=[], fps=10).path
    cams = [{"id": c, "url": str(clip), "loop": True, **QUICK} for c in ("cam-1", "cam-2")]
    config = site.config(tmp_path / "data", cams)
    settings = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**settings, "lpr": {"model_dir": str(model_dir)}}))
    site.spawn("api", config, "serve", "--role", "api")
    site.spawn("n1", config, "node", "--node-id", "n1")
    for cam in ("cam-1", "cam-2"):
        site.wait_event(_status(cam, "online"), 90, f"{cam} online")
    node = next(p for p in psutil.Process().children() if "n1" in p.cmdline())

    def detector_sockets() -> set[str]:  # each detector process listens on its own socket
        out = set()
        for proc in node.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                out |= {c.laddr for c in proc.net_connections("unix")
                        if isinstance(c.laddr, str) and "rtcc-detector-" in c.laddr}
        return out

    deadline = time.monotonic() + 30
    while not detector_sockets() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # a second one, if any, is up by now too
    assert len(detector_sockets()) == 1, detector_sockets()
