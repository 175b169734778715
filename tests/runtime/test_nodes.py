"""Two camera nodes and an API instance as separate processes on a real nats-server: every
camera runs once; ``kill -9`` of a node moves its cameras to the other within 20 s, and no
camera's worker ever runs on two nodes at once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml
from sqlalchemy import create_engine, text

from cameras.worker import WorkerSpec  # noqa: F401 - the workers' import cost, paid once here
from rtcc.bus.connection import NatsConnection
from rtcc.cli.main import main
from rtcc.cluster.kv import ClusterKV
from rtcc.cluster.placement import place
from rtcc.config import load_settings
from tests.support.clips import write_clip
from tests.support.natsserver import NatsServer, free_port
from tests.support.paths import POSTGRES_URL, ROOT
from tests.support.pgdb import scratch_database

pytestmark = pytest.mark.slow
NODES = {"n1": 1.0, "n2": 1.0}
PASSWORD = "correct horse battery staple"
QUICK = {"read_timeout_s": 3, "connect_timeout_s": 3, "reconnect_max_s": 2}
PINNED = "trailer-cam"  # pinned to n1: runs there without a lease, and nowhere else


def _split_cameras() -> list[str]:
    """Four camera ids that placement spreads two and two."""
    ids = [f"cam-{i}" for i in range(40)]
    on = {n: [c for c in ids if place(c, NODES) == n][:2] for n in NODES}
    return on["n1"] + on["n2"]


def _started(pid: int) -> float | None:
    """When process ``pid`` started (None: gone); tells a reused pid apart."""
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.NoSuchProcess:
        return None


def _alive(pid: int | None, started: float | None = None) -> bool:
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        same = started is None or abs(proc.create_time() - started) < 0.05
        return same and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Cluster:
    def __init__(self, root: Path, server: NatsServer, db_url: str) -> None:
        self.root, self.server, self.db_url = root, server, db_url
        self.port = free_port()
        self.cameras = _split_cameras()
        clip = write_clip(root / "clip.mp4", seconds=4, passes=[], fps=10).path
        cams = [
            {"id": c, "url": str(clip), "lpr": False, "detect_fps": 2, **QUICK}
            for c in [*self.cameras, PINNED]
        ]
        self.config = root / "rtcc.yaml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "environment": "test",
                    "data_dir": str(root / "data"),
                    "log_level": "WARNING",
                    "database": {"url": db_url},
                    "server": {"port": self.port},
                    "bus": {"url": server.url, "ingest_ack_wait_s": 5},
                    "cluster": {
                        "nodes": [{"id": n} for n in NODES],
                        "renew_s": 1,
                        "lease_ttl_s": 6,
                        "node_ttl_s": 4,
                    },
                    "auth": {"bootstrap_admin": "admin", "bootstrap_password": PASSWORD},
                    "retention": {"enabled": False},
                    "cameras": cams,
                }
            )
        )
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.engine = create_engine(db_url)

    def spawn(self, name: str, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = (self.root / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "rtcc.cli.main", *args, "--config", str(self.config)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def get(self, path: str, token: str | None = None) -> Any:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def cameras_in_db(self) -> dict[str, tuple[str, str | None]]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, state, node FROM camera")).all()
        return {r[0]: (r[1], r[2]) for r in rows}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.engine.dispose()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    server = NatsServer(tmp_path / "jetstream").start()
    with ExitStack() as stack:
        stack.callback(server.stop)
        db_url = f"sqlite:///{tmp_path / 'rtcc.db'}"
        if POSTGRES_URL:  # the multi-host database
            db_url = stack.enter_context(scratch_database(POSTGRES_URL, prefix="rtcc_n"))
        c = Cluster(tmp_path, server, db_url)
        stack.callback(c.stop)
        yield c


class Observer:
    """Reads the leases and heartbeats, and checks no camera has live workers on two nodes."""

    def __init__(self, cluster: Cluster) -> None:
        settings = load_settings(cluster.config)
        self.conn = NatsConnection.open(settings.bus)
        self.kv = ClusterKV(self.conn, settings.cluster)
        self.conn.run(self.kv.open())
        # (node, camera, pid) -> the worker's start time
        self.pids: dict[tuple[str, str, int], float | None] = {}
        self.violations: list[str] = []

    def sample(self) -> dict[str, str]:
        beats = self.conn.run(self.kv.live_nodes())
        for node, info in beats.items():
            for cam, pid in info.get("pids", {}).items():
                if pid and (node, cam, int(pid)) not in self.pids:
                    self.pids[(node, cam, int(pid))] = _started(int(pid))
        running: dict[str, set[str]] = {}
        for (node, cam, pid), started in self.pids.items():
            if _alive(pid, started):
                running.setdefault(cam, set()).add(f"{node}:{pid}")
        self.violations += [
            f"{cam} on {sorted(nodes)} at {time.time():.1f}"
            for cam, nodes in running.items()
            if len({n.split(":")[0] for n in nodes}) > 1
        ]
        return dict(self.conn.run(self.kv.holders()))

    def wait(self, cond: Any, timeout: float, what: str) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            holders = self.sample()
            if cond(holders):
                return time.monotonic() - start
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; leases {self.sample()}")


def test_kill_a_node_and_its_cameras_move_once(cluster: Cluster) -> None:
    cluster.spawn("api", "serve", "--role", "api")
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(OSError):
            cluster.get("/api/health")
            break
        assert time.monotonic() < deadline, (cluster.root / "api.log").read_text()[-3000:]
        time.sleep(0.3)
    with cluster.engine.begin() as conn:  # seeded by the API from the file; pinned by an admin
        conn.execute(text("UPDATE camera SET pin_node = 'n1' WHERE id = :id"), {"id": PINNED})
    cluster.spawn("n1", "node", "--node-id", "n1")
    metrics_port = free_port()
    cluster.spawn("n2", "node", "--node-id", "n2", "--metrics-port", str(metrics_port))
    obs = Observer(cluster)
    cams = cluster.cameras
    try:
        expected = {c: place(c, NODES) for c in cams}
        obs.wait(lambda h: h == expected, 90, "every camera leased where placed")

        def online_on(want: dict[str, str | None]) -> bool:
            db = cluster.cameras_in_db()
            return all(db.get(c) == ("online", n) for c, n in want.items())

        obs.wait(
            lambda _: online_on({**expected, PINNED: "n1"}), 90, "every camera online on its node"
        )
        _changed_url_restarts_that_camera_only(cluster, obs, expected)
        moved = [c for c in cams if expected[c] == "n1"]
        print(f"kill at {time.time():.1f}; n1 pid {cluster.procs['n1'].pid}")
        os.kill(cluster.procs["n1"].pid, signal.SIGKILL)
        cluster.procs["n1"].wait(5)
        took = obs.wait(
            lambda _: online_on(dict.fromkeys(cams, "n2")), 20, "n1's cameras online on n2"
        )
        assert obs.sample() == dict.fromkeys(cams, "n2")
        print(f"failover: {moved} online on n2 {took:.1f} s after kill -9 of n1")
        for _ in range(10):  # a little longer: nothing flaps back or doubles
            obs.sample()
            time.sleep(0.3)
        assert obs.violations == [], obs.violations[:3]
        assert all(not _alive(pid, t) for (node, _, pid), t in obs.pids.items() if node == "n1")
        assert ("n1", PINNED) in {(n, c) for n, c, _ in obs.pids} and ("n2", PINNED) not in {
            (n, c) for n, c, _ in obs.pids
        }  # it stays pinned
        _check_api(cluster, cams)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
            scraped = resp.read().decode()
        assert 'rtcc_node_cameras{node="n2"} 4.0' in scraped
        assert 'rtcc_node_outbox{node="n2"}' in scraped
    finally:
        obs.conn.close()


def _changed_url_restarts_that_camera_only(
    cluster: Cluster, obs: Observer, expected: dict[str, str | None]
) -> None:
    """An admin's new url reaches the node running the camera: its worker restarts there, and
    no other camera's worker does."""

    def pids() -> dict[str, int]:
        beats = obs.conn.run(obs.kv.live_nodes())
        return {c: int(p) for info in beats.values() for c, p in info.get("pids", {}).items() if p}

    # The heartbeats name each worker's pid a beat after the camera went online.
    obs.wait(lambda _: set(expected) <= set(pids()), 30, "every worker's pid in the heartbeats")
    before = pids()
    cam = next(c for c, node in expected.items() if node == "n2")
    clip = write_clip(cluster.root / "other.mp4", seconds=4, passes=[], fps=10).path
    with cluster.engine.begin() as conn:
        conn.execute(
            text("UPDATE camera SET url = :url WHERE id = :id"), {"url": str(clip), "id": cam}
        )
    obs.wait(lambda _: pids().get(cam) not in (None, before[cam]), 30, f"{cam} restarted")
    after = pids()
    assert {c: p for c, p in after.items() if c != cam} == {
        c: p for c, p in before.items() if c != cam
    }
    assert not _alive(before[cam])


def _check_api(cluster: Cluster, cams: list[str]) -> None:
    """The API instance reports the nodes from their heartbeats and each camera's node."""
    with httpx.Client(base_url=f"http://127.0.0.1:{cluster.port}", timeout=10) as client:
        resp = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        nodes = {n["id"]: n for n in client.get("/api/nodes").json()}
        assert nodes["n2"]["alive"] and sorted(nodes["n2"]["cameras"]) == sorted(cams)
        assert nodes["n2"]["heartbeat_age_s"] < 5 and nodes["n2"]["version"]
        assert not nodes["n1"]["alive"] and nodes["n1"]["configured"]
        cameras = {c["camera_id"]: c for c in client.get("/api/cameras").json()}
        assert {cameras[c]["node"] for c in cams} == {"n2"}


def test_node_with_unknown_id_or_no_bus_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "rtcc.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(tmp_path / "d"),
                "bus": {"url": f"nats://127.0.0.1:{free_port()}"},
                "cluster": {"nodes": [{"id": "n1"}]},
            }
        )
    )
    assert main(["node", "--node-id", "n9", "--config", str(cfg)]) == 2
    assert "--node-id 'n9': not in cluster.nodes (known: n1)" in capsys.readouterr().err
    assert main(["node", "--node-id", "n1", "--config", str(cfg)]) == 2
    assert "cannot reach NATS" in capsys.readouterr().err
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "d")}))
    assert main(["node", "--node-id", "n1", "--config", str(cfg)]) == 2
    assert "needs bus.url" in capsys.readouterr().err
