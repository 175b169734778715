"""Cameras in the database: CSV parsing, seeding from the file, rows back to worker settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cameras.catalog import (
    CameraPatch,
    CameraSpec,
    camera_settings,
    create_camera,
    get_camera,
    import_cameras,
    runnable_cameras,
    seed_from_settings,
    update_camera,
)
from cameras.csvimport import CameraImportError, parse_cameras, read_cameras
from rtcc.config import CameraSettings
from rtcc.db import transaction
from rtcc.errors import ConflictError, InvalidInputError
from rtcc.models import Camera
from rtcc.runtime.services import Services

HEADER = "id,name,url,detect_url,lat,lon,heading,lpr,record,site\n"


def test_csv_rows_become_specs() -> None:
    parsed = parse_cameras(
        HEADER
        + "gate-1,Gate 1,rtsp://u:p@10.0.0.5/s1,rtsp://10.0.0.5/s2,40.7,-74.0,90,yes,false,north\n"
        + "gate-2,,/videos/a.mp4,,,,,0,1,\n"
    )
    assert parsed.bad == []
    (l1, a), (l2, b) = parsed.cameras
    assert (l1, l2) == (2, 3)
    assert a == CameraSpec(id="gate-1", name="Gate 1", url="rtsp://u:p@10.0.0.5/s1",
                           detect_url="rtsp://10.0.0.5/s2", lat=40.7, lon=-74.0, heading=90,
                           lpr=True, record=False, site="north")
    assert (b.name, b.lpr, b.record, b.lat, b.site) == ("gate-2", False, True, None, None)


def test_bad_rows_are_named_by_line() -> None:
    parsed = parse_cameras(
        HEADER
        + "ok-1,,/v.mp4,,,,,,,\n"
        + "bad id!,,/v.mp4,,,,,,,\n"  # line 3
        + "no-url,,,,,,,,,\n"  # line 4
        + "lat-1,,/v.mp4,,95,10,,,,\n"  # line 5
        + "half,,/v.mp4,,10,,,,,\n"  # line 6
        + "bool,,/v.mp4,,,,,maybe,,\n"  # line 7
        + "ok-1,,/w.mp4,,,,,,,\n"  # line 8: duplicate
        + "extra,,/v.mp4,,,,,,,,surplus\n"  # line 9
    )
    assert [c.id for _, c in parsed.cameras] == ["ok-1"]
    reasons = {b.line: b.reason for b in parsed.bad}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert reasons[3].startswith("id:")
    assert reasons[4].startswith("url:")
    assert reasons[5].startswith("lat:")
    assert "lat and lon" in reasons[6]
    assert "lpr" in reasons[7]
    assert "twice" in reasons[8]
    assert "more cells" in reasons[9]


def test_unknown_or_missing_columns_reject_the_file() -> None:
    with pytest.raises(CameraImportError, match="line 1: unknown column"):
        parse_cameras("id,url,colour\nx,/v.mp4,red\n")
    with pytest.raises(CameraImportError, match="missing column.*url"):
        parse_cameras("id,name\nx,y\n")


def test_read_rejects_whole_file_unless_skipping(tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text(HEADER + "a,,/v.mp4,,,,,,,\n" + "b,,,,,,,,,\n")
    with pytest.raises(CameraImportError) as err:
        read_cameras(path)
    assert err.value.details["lines"] == [3]
    assert "line 3: url" in err.value.message
    kept = read_cameras(path, skip_bad=True)
    assert [c.id for _, c in kept.cameras] == ["a"] and [b.line for b in kept.bad] == [3]


def _cfg(**kw: Any) -> CameraSettings:
    return CameraSettings.model_validate({"url": "/v.mp4", **kw})


def test_seed_keeps_every_setting_and_round_trips(services: Services) -> None:
    cfg = _cfg(id="cam-1", name="One", detect_fps=2.5, transport="udp", record=True,
               location={"lat": 1.5, "lon": 2.5}, heading_deg=45, loop=False,
               motion={"enabled": False, "sensitivity": 0.2, "masks": []})
    now = services.clock.now()
    with transaction(services.sessions) as s:
        seed_from_settings(s, [cfg, _cfg(id="cam-2", enabled=False)], now=now)
    with transaction(services.sessions) as s:
        rows = {c.id: c for c in s.scalars(select(Camera))}
        assert camera_settings(rows["cam-1"]) == cfg
        assert [c.id for c in runnable_cameras(s)] == ["cam-1"]
        assert rows["cam-1"].origin == "config"
    # Removed from the file: it stops; a camera added through the API stays.
    with transaction(services.sessions) as s:
        create_camera(s, CameraSpec(id="api-1", url="/a.mp4"), now=now, origin="api")
        seed_from_settings(s, [], now=now)
    with transaction(services.sessions) as s:
        assert [c.id for c in runnable_cameras(s)] == ["api-1"]
        assert get_camera(s, "cam-1").last_error == "removed from the configuration file"


def test_import_creates_then_replaces(services: Services) -> None:
    now = services.clock.now()
    specs = [CameraSpec(id=f"c{i}", url=f"/v{i}.mp4", site="s") for i in range(3)]
    with transaction(services.sessions) as s:
        assert import_cameras(s, specs, now=now) == (3, 0)
    with transaction(services.sessions) as s:
        again = [CameraSpec(id="c0", url="/new.mp4", lpr=False), CameraSpec(id="c9", url="/9")]
        assert import_cameras(s, again, now=now) == (1, 1)
    with transaction(services.sessions) as s:
        c0 = get_camera(s, "c0")
        assert (c0.url, c0.lpr, c0.site, c0.origin) == ("/new.mp4", False, None, "csv")
        assert camera_settings(c0).url == "/new.mp4"


def test_create_conflict_and_patch_rules(services: Services) -> None:
    now = services.clock.now()
    with transaction(services.sessions) as s:
        create_camera(s, CameraSpec(id="x", url="/x.mp4"), now=now, origin="api")
    with transaction(services.sessions) as s, pytest.raises(ConflictError):
        create_camera(s, CameraSpec(id="x", url="/y.mp4"), now=now, origin="api")
    with transaction(services.sessions) as s, pytest.raises(InvalidInputError) as err:
        update_camera(s, "x", CameraPatch(lat=10), now=now)
    assert err.value.details["field"] == "lat"
    with transaction(services.sessions) as s:
        cam = update_camera(s, "x", CameraPatch(lat=10, lon=20, pin_node="trailer-7"), now=now)
        assert (cam.lat, cam.lon, cam.pin_node, cam.url) == (10, 20, "trailer-7", "/x.mp4")
