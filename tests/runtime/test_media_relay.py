"""A read's photos travel with it: a node process with its own data folder forwards a read, and
the API process (another data folder) serves the read's snapshot and crop. Only JPEGs under
``media/`` are carried or written, within the size limit, and never over an existing file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from cameras.messages import ReadMessage
from rtcc.runtime.media_relay import gather, keep, media_path
from tests.support.media_node import CROP, SNAPSHOT, photo
from tests.support.natsserver import NatsServer, free_port
from tests.support.paths import ROOT
from tests.support.reads import read

PASSWORD = "correct horse battery staple"


def test_only_jpegs_under_media_within_the_limit_and_written_once(tmp_path: Path) -> None:
    for bad in ("../x.jpg", "/etc/x.jpg", "media/../x.jpg", "video/a.jpg", "media/a.txt"):
        assert media_path(tmp_path, bad) is None, bad
    assert media_path(tmp_path, SNAPSHOT) == (tmp_path / SNAPSHOT).resolve()
    for rel in (SNAPSHOT, CROP):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(photo(rel))
    msg = ReadMessage(
        camera_id="cam-b", record=read(1).record, snapshot_path=SNAPSHOT, crop_path=CROP
    )
    both = len(photo(SNAPSHOT)) + len(photo(CROP))
    assert gather(tmp_path, msg, max_bytes=both) == {SNAPSHOT: photo(SNAPSHOT), CROP: photo(CROP)}
    assert gather(tmp_path, msg, max_bytes=both - 1) == {}  # too big together: none
    hub = tmp_path / "hub"
    assert keep(hub, {SNAPSHOT: b"first", "../evil.jpg": b"x"}) == 1
    assert keep(hub, {SNAPSHOT: b"second"}) == 0  # evidence is written once
    assert (hub / SNAPSHOT).read_bytes() == b"first" and not (tmp_path / "evil.jpg").exists()


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_hub_serves_a_photo_taken_on_a_node(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "js").start()
    port = free_port()
    config = tmp_path / "api.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "environment": "test",
                "data_dir": str(tmp_path / "hub"),
                "log_level": "WARNING",
                "database": {"url": f"sqlite:///{tmp_path / 'hub.db'}"},
                "server": {"port": port},
                "bus": {"url": server.url},
                "retention": {"enabled": False},
                "auth": {"bootstrap_admin": "admin", "bootstrap_password": PASSWORD},
                "cameras": [{"id": c, "url": "/v.mp4", "lpr": False} for c in ("cam-a", "cam-b")],
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / "api.log").open("wb")
    api = subprocess.Popen(
        [sys.executable, "-m", "rtcc.cli.main", "serve", "--role", "api", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait_until_up(client, api, tmp_path / "api.log")
            node = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.support.media_node",
                    server.url,
                    str(tmp_path / "node"),
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                timeout=90,
            )
            assert node.returncode == 0, node.stderr.decode()[-3000:]
            _log_in_as_officer(client)
            item = _first_read(client)
            assert item["snapshot_url"] == "/media/reads/cam-b/2026-03-01/trk-1.jpg"
            for url, rel in ((item["snapshot_url"], SNAPSHOT), (item["crop_url"], CROP)):
                resp = client.get(url)
                assert resp.status_code == 200, resp.text
                assert resp.content == photo(rel)
        assert (tmp_path / "hub" / SNAPSHOT).read_bytes() == photo(SNAPSHOT)
    finally:
        api.terminate()
        api.wait(20)
        log.close()
        server.stop()


def _wait_until_up(client: httpx.Client, api: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.get("/api/health").status_code < 500:
                return
        except httpx.TransportError:
            pass
        assert api.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.3)


def _log_in_as_officer(client: httpx.Client) -> None:
    """The admin makes an officer account (admins do not see reads), who then logs in."""
    login = {"username": "admin", "password": PASSWORD}
    resp = client.post("/api/auth/login", json=login)
    assert resp.status_code == 200, resp.text
    made = client.post(
        "/api/users",
        json={"username": "officer1", "roles": ["officer"], "password": PASSWORD},
        headers={"X-CSRF-Token": resp.json()["csrf_token"]},
    )
    assert made.status_code == 201, made.text
    client.cookies.clear()
    login = {"username": "officer1", "password": PASSWORD}
    resp = client.post("/api/auth/login", json=login)
    assert resp.status_code == 200, resp.text


def _first_read(client: httpx.Client) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        resp = client.get("/api/reads/recent")
        items = resp.json().get("items", []) if resp.status_code == 200 else []
        if items:
            return dict(items[0])
        assert time.monotonic() < deadline, f"the read never reached the hub: {resp.text}"
        time.sleep(0.3)
