"""Every API instance serves every read's photo: the ingest puts a read's photos into the media
bucket, and an instance without them (its own data folder) fetches them from there and keeps
them. The bucket never keeps a photo past the shortest read retention: its TTL plus the
lateness allowed for a read add up to it, and later reads are not put at all."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from rtcc.bus.connection import BusUnavailableError, NatsConnection
from rtcc.bus.natsbus import NatsBus
from rtcc.clock import FakeClock
from rtcc.config import BusSettings, RetentionSettings
from rtcc.db import transaction
from rtcc.models import Camera
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.media_relay import DAY, Lifetime, SharedMedia, fetch_missing, lifetime
from rtcc.runtime.services import build_services
from tests.runtime.test_media_relay import PASSWORD, _first_read, _log_in_as_officer, _wait_until_up
from tests.support.media_node import CROP, SNAPSHOT, photo, photo_paths
from tests.support.natsserver import NatsServer, free_port
from tests.support.paths import POSTGRES_URL, ROOT
from tests.support.pgdb import scratch_database
from tests.support.processes import stop
from tests.support.reads import read

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HIT = 10  # tests.support.reads.read(10) is hotlisted


def test_the_bucket_keeps_no_photo_past_the_shortest_read_retention() -> None:
    plain = lifetime(RetentionSettings(plate_reads_days=90))
    assert (plain.max_age_s, plain.max_lateness_s) == (89 * DAY, DAY)
    hits_shorter = lifetime(RetentionSettings(plate_reads_days=90, hit_reads_days=30))
    assert hits_shorter.max_age_s + hits_shorter.max_lateness_s == 30 * DAY
    hits_longer = lifetime(RetentionSettings(plate_reads_days=10, hit_reads_days=400))
    assert hits_longer.max_age_s + hits_longer.max_lateness_s == 10 * DAY
    one_day = lifetime(RetentionSettings(plate_reads_days=1))
    assert one_day.max_age_s == one_day.max_lateness_s == DAY / 2


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsConnection]:
    server = NatsServer(tmp_path / "js").start()
    conn = NatsConnection.open(BusSettings(url=server.url))
    yield conn
    conn.close()
    server.stop()


def _read_at(i: int, first_seen: datetime, rel: str) -> Any:
    record = dataclasses.replace(read(i).record, first_seen=first_seen, last_seen=first_seen)
    return dataclasses.replace(read(i), record=record, snapshot_path=rel, crop_path=None)


def test_photos_are_put_once_late_ones_not_and_the_ttl_follows_the_policy(
    nats: NatsConnection, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    shared = SharedMedia(nats, retention=RetentionSettings(plate_reads_days=90), clock=clock)
    late_rel = "media/reads/cam-a/2026-02-27/trk-2.jpg"
    fresh = _read_at(1, NOW - timedelta(hours=23), SNAPSHOT)
    late = _read_at(2, NOW - timedelta(hours=25), late_rel)  # past max_lateness (1 day)
    media = {SNAPSHOT: photo(SNAPSHOT), late_rel: photo(late_rel)}
    assert shared.keep(tmp_path / "hub", media, [fresh, late]) == 2  # both kept here
    shared.flush()
    assert (shared.shared, shared.failed) == (1, 0)
    assert nats.run(shared.get(SNAPSHOT)) == photo(SNAPSHOT)
    assert nats.run(shared.get(late_rel)) is None
    shared.share({SNAPSHOT: b"\xff\xd8 a redelivered copy"})  # evidence is written once
    shared.flush()
    assert nats.run(shared.get(SNAPSHOT)) == photo(SNAPSHOT) and shared.shared == 1

    def ttl() -> float:
        info = nats.run(nats.jetstream().stream_info(f"OBJ_{shared.name}"))
        return float(info.config.max_age)

    assert ttl() == pytest.approx(89 * DAY)
    # The policy shortened: the next instance to open the bucket shortens its TTL at once.
    shorter = SharedMedia(nats, retention=RetentionSettings(plate_reads_days=7), clock=clock)
    nats.run(shorter.bucket())
    assert ttl() == pytest.approx(6 * DAY)


def test_the_server_expires_photos_after_the_bucket_ttl(nats: NatsConnection) -> None:
    """The TTL is the server's to enforce: a bucket of a 2 s lifetime really forgets."""
    clock = FakeClock(NOW)
    shared = SharedMedia(nats, retention=RetentionSettings(), clock=clock)
    shared.name = "rtcc_media_short"
    shared.life = Lifetime(max_age_s=2.0, max_lateness_s=60.0)
    shared.keep(Path("/nonexistent"), {}, [])  # nothing to put: nothing happens
    assert shared.sharable({SNAPSHOT: b"x"}, [_read_at(1, NOW, SNAPSHOT)]) == {SNAPSHOT: b"x"}
    shared.share({SNAPSHOT: photo(SNAPSHOT)})
    shared.flush()
    assert nats.run(shared.get(SNAPSHOT)) == photo(SNAPSHOT)
    deadline = time.monotonic() + 15
    while nats.run(shared.get(SNAPSHOT)) is not None:
        assert time.monotonic() < deadline, "still in the bucket past its TTL"
        time.sleep(0.5)


def test_a_full_bucket_refuses_new_photos_and_they_stay_where_stored(
    nats: NatsConnection, tmp_path: Path
) -> None:
    """``bus.media_bucket_max_bytes`` caps the bucket, so photos can never fill the JetStream
    store the reads and events need; beyond it a photo stays on the instance that stored it."""
    settings = BusSettings(url=nats.settings.url, media_bucket_max_bytes=3000)
    capped = NatsConnection.open(settings)
    try:
        clock = FakeClock(NOW)
        shared = SharedMedia(capped, retention=RetentionSettings(), clock=clock)
        rels = [f"media/reads/cam-a/2026-03-01/trk-{i}.jpg" for i in (1, 2)]
        reads = [_read_at(i, NOW, rel) for i, rel in enumerate(rels, 1)]
        assert shared.keep(tmp_path, {rels[0]: photo(rels[0])}, reads[:1]) == 1
        shared.flush()
        assert shared.keep(tmp_path, {rels[1]: photo(rels[1])}, reads[1:]) == 1
        shared.flush()
        assert (shared.shared, shared.failed) == (1, 1)
        assert capped.run(shared.get(rels[0])) == photo(rels[0])
        assert capped.run(shared.get(rels[1])) is None
        assert (tmp_path / rels[1]).read_bytes() == photo(rels[1])  # kept where stored
        info = capped.run(capped.jetstream().stream_info(f"OBJ_{shared.name}"))
        assert info.config.max_bytes == 3000
    finally:
        capped.close()


def test_a_read_of_this_hosts_own_cameras_is_shared_too(
    nats: NatsConnection, make_settings: Any, db_url: str
) -> None:
    """``serve --role all``: reads of the host's cameras are stored by the in-process ingest;
    their photos go to the bucket as well, from the data folder."""
    clock = FakeClock(NOW + timedelta(hours=1))
    settings = make_settings(database={"url": db_url}, bus={"url": nats.settings.url})
    services = build_services(settings, clock=clock, bus=NatsBus(nats, settings.bus).start())
    try:
        with transaction(services.sessions) as session:
            session.add(Camera(id="cam-b", name="B", created_at=NOW, updated_at=NOW,
                               state="online", state_since_at=NOW))
        for rel in (SNAPSHOT, CROP):
            (settings.data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (settings.data_dir / rel).write_bytes(photo(rel))
        msg = dataclasses.replace(_read_at(1, NOW, SNAPSHOT), camera_id="cam-b", crop_path=CROP)
        ingestor = Ingestor(services)
        assert ingestor.shared is not None
        ingestor.handle(msg)
        ingestor.shared.flush()
        for rel in (SNAPSHOT, CROP):
            assert nats.run(ingestor.shared.get(rel)) == photo(rel)
    finally:
        services.engine.dispose()


def test_a_photo_missing_here_with_nats_down_is_503_not_404(
    tmp_path: Path, make_settings: Any, sqlite_services: Any
) -> None:
    server = NatsServer(tmp_path / "js").start()
    conn = NatsConnection.open(BusSettings(url=server.url))
    try:
        settings = make_settings(bus={"url": server.url})
        services = dataclasses.replace(
            sqlite_services, settings=settings, bus=NatsBus(conn, settings.bus).start()
        )
        assert fetch_missing(services, SNAPSHOT) is None  # not in the bucket: absent (404)
        assert fetch_missing(services, "media/../etc/passwd") is None  # never asked
        server.stop()
        with pytest.raises(BusUnavailableError):
            fetch_missing(services, SNAPSHOT, timeout=8.0)
    finally:
        conn.close()
        server.stop()


def _config(root: Path, name: str, nats_url: str, db_url: str) -> tuple[Path, int]:
    port = free_port()
    path = root / f"{name}.yaml"
    hotlist = root / "stolen.csv"
    hotlist.write_text(f"plate,reason\n{read(HIT).record.plate},stolen\n", encoding="utf-8")
    settings = {
        "hotlists": [{"name": "stolen", "file": str(hotlist)}],
        "environment": "test",
        "data_dir": str(root / name),
        "log_level": "WARNING",
        "database": {"url": db_url},
        "server": {"port": port},
        "bus": {"url": nats_url},
        "retention": {"enabled": False},
        "auth": {"bootstrap_admin": "admin", "bootstrap_password": PASSWORD},
        "cameras": [{"id": c, "url": "/v.mp4", "lpr": False} for c in ("cam-a", "cam-b")],
    }
    path.write_text(yaml.safe_dump(settings))
    return path, port


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_an_api_instance_serves_a_photo_another_instance_stored(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with ExitStack() as stack:
        server = NatsServer(tmp_path / "js").start()
        stack.callback(server.stop)
        db_url = f"sqlite:///{tmp_path / 'rtcc.db'}"
        if POSTGRES_URL:  # the multi-host database
            db_url = stack.enter_context(scratch_database(POSTGRES_URL, prefix="rtcc_m"))
        clients = {}
        for name in ("api1", "api2"):  # one after the other: one migrates, then the other
            config, port = _config(tmp_path, name, server.url, db_url)
            log = stack.enter_context((tmp_path / f"{name}.log").open("wb"))
            proc = subprocess.Popen(
                [sys.executable, "-m", "rtcc.cli.main", "serve", "--role", "api",
                 "--config", str(config)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            stack.callback(stop, proc)
            client = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}"))
            _wait_until_up(client, proc, tmp_path / f"{name}.log")
            clients[name] = client
        _forward(server.url, tmp_path / "n", 1, env)
        _log_in_as_officer(clients["api1"])
        login = {"username": "officer1", "password": PASSWORD}
        assert clients["api2"].post("/api/auth/login", json=login).status_code == 200
        item = _first_read(clients["api1"])
        # One instance's ingest stored the read, and wrote its photos in its own folder only.
        holders = [n for n in clients if (tmp_path / n / SNAPSHOT).exists()]
        assert len(holders) == 1, holders
        (other,) = set(clients) - set(holders)
        assert not (tmp_path / other / CROP).exists()
        for url, rel in ((item["snapshot_url"], SNAPSHOT), (item["crop_url"], CROP)):
            resp = clients[other].get(url)
            assert resp.status_code == 200, resp.text
            assert resp.content == photo(rel)
            assert (tmp_path / other / rel).read_bytes() == photo(rel)  # kept there now
        absent = clients[other].get("/media/reads/cam-b/2026-03-01/none.jpg")
        assert absent.status_code == 404, absent.text
        # A hit's photos: every instance keeps them at once, asked or not.
        _forward(server.url, tmp_path / "n", HIT, env)
        deadline = time.monotonic() + 30
        for name in clients:
            for rel in photo_paths(HIT):
                while not (tmp_path / name / rel).exists():
                    assert time.monotonic() < deadline, f"{rel} not kept by {name}"
                    time.sleep(0.2)
                assert (tmp_path / name / rel).read_bytes() == photo(rel)


def _forward(url: str, node_dir: Path, index: int, env: dict[str, str]) -> None:
    node = subprocess.run(
        [sys.executable, "-m", "tests.support.media_node", url, str(node_dir), str(index)],
        cwd=ROOT, env=env, capture_output=True, timeout=90,
    )
    assert node.returncode == 0, node.stderr.decode()[-3000:]


