"""The map's API: an imported PMTiles or MBTiles base map (checksum shown, tiles served from
the data directory), cameras with view cones, reads and hits placed, windows checked."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pmtiles.tile import TileType

from rtcc.cli.main import main
from rtcc.integrations.basemap import read_tile
from rtcc.integrations.geometry import Point
from rtcc.runtime.services import Services
from tests.support.integration_data import SPOT, add_camera, add_read
from tests.support.tiles import png_tile, write_mbtiles, write_pmtiles


def config_for(services: Services, tmp_path: Path) -> Path:
    cfg = tmp_path / "rtcc.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(services.settings.data_dir),
                                   "database": {"url": services.settings.database_url},
                                   "environment": "test"}))
    return cfg


@pytest.mark.parametrize("fmt", ["pmtiles", "mbtiles"])
def test_imported_map_is_served_tile_by_tile(
    api_client: Any, services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    viewer = api_client("auditor")
    assert viewer.get("/api/map/basemap").json() == {
        "imported": False, "name": None, "format": None, "tile_type": None, "sha256": None,
        "bytes": None, "min_zoom": None, "max_zoom": None, "bounds": None, "tile_url": None,
        "imported_at": None}
    assert viewer.get("/api/map/tiles/0/0/0").status_code == 404
    source = tmp_path / f"city.{fmt}"
    (write_pmtiles if fmt == "pmtiles" else write_mbtiles)(source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    cfg = config_for(services, tmp_path)
    assert main(["map", "import", str(source), "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert f"sha256 {digest}" in out and f"{fmt} png map" in out
    info = viewer.get("/api/map/basemap").json()
    assert info["imported"] is True and info["sha256"] == digest and info["format"] == fmt
    assert info["tile_url"] == "/api/map/tiles/{z}/{x}/{y}" and info["min_zoom"] == 0
    stored = services.settings.data_dir / "maps" / f"{digest}.{fmt}"
    assert stored.is_file()
    source.unlink()  # served from the data directory, not from where it was imported
    tile = viewer.get("/api/map/tiles/1/1/0")
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    assert tile.content == png_tile(1, 1, 0)
    assert viewer.get("/api/map/tiles/9/0/0").status_code == 404
    assert viewer.get("/api/map/tiles/1/5/0").status_code == 404
    assert api_client(None).get("/api/map/tiles/1/1/0").status_code == 401


def test_vector_or_unknown_files_are_refused_with_exit_2(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config_for(services, tmp_path)
    vector = tmp_path / "vector.pmtiles"
    write_pmtiles(vector, max_zoom=0, tile_type=TileType.MVT)
    assert main(["map", "import", str(vector), "--config", str(cfg)]) == 2
    assert "MVT tiles: only raster" in capsys.readouterr().err
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a map at all")
    assert main(["map", "import", str(junk), "--config", str(cfg)]) == 2
    assert "neither PMTiles nor MBTiles" in capsys.readouterr().err
    assert main(["map", "import", str(tmp_path / "missing.pmtiles"), "--config", str(cfg)]) == 2


def test_mbtiles_rows_are_flipped_to_xyz(tmp_path: Path) -> None:
    path = tmp_path / "t.mbtiles"
    write_mbtiles(path, max_zoom=2)
    for z, x, y in [(0, 0, 0), (2, 1, 0), (2, 3, 2)]:
        assert read_tile(path, "mbtiles", z, x, y) == png_tile(z, x, y)


def test_cameras_reads_and_hits_for_the_map(api_client: Any, services: Services) -> None:
    add_camera(services, "north-cam", SPOT, heading=90, fov=60, range_m=100)
    add_camera(services, "trailer-1", Point(40.75, -73.99), heading=None, mobile=True)
    now = services.clock.now()
    add_read(services, "north-cam", "PLACED1", now - timedelta(minutes=10))
    add_read(services, "trailer-1", "MOVING1", now - timedelta(minutes=20),
             position=Point(40.8, -73.9))
    add_read(services, "north-cam", "OLDREAD", now - timedelta(hours=3))
    officer = api_client("officer", cameras=["north-cam"])
    cams = officer.get("/api/map/cameras").json()
    assert [c["camera_id"] for c in cams["items"]] == ["north-cam"]  # assignment respected
    cone = cams["items"][0]["cone"]
    assert cone[0] == cone[-1] == [pytest.approx(SPOT.lat), pytest.approx(SPOT.lon)]
    assert len(cone) == 15  # camera, 13 arc points, camera
    detective = api_client("detective")
    reads = detective.get("/api/map/reads").json()
    assert [(r["plate"], r["latitude"]) for r in reads["items"]] == [
        ("PLACED1", pytest.approx(SPOT.lat)), ("MOVING1", 40.8)]
    wide = detective.get("/api/map/reads", params={
        "since": (now - timedelta(hours=4)).isoformat()}).json()
    assert wide["count"] == 3
    too_wide = detective.get("/api/map/reads", params={
        "since": (now - timedelta(days=8)).isoformat()})
    assert too_wide.status_code == 422 and too_wide.json()["field"] == "since"
    assert api_client("auditor").get("/api/map/reads").status_code == 403
    assert detective.get("/api/map/hits").json()["count"] == 0
