"""``rtcc gunshot import``: past alerts from CSV, all or nothing, bad lines named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from rtcc.cli.main import main
from rtcc.config import load_settings
from rtcc.integrations.geometry import destination
from rtcc.models import AuditEvent, GunshotAlert, GunshotBookmark
from rtcc.runtime.services import build_services
from tests.support.integration_data import SPOT, add_camera

HEADER = "id,type,rounds,latitude,longitude,address,detected_at\n"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cfg = tmp_path / "rtcc.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "environment": "test"}))
    return cfg


def _db(config: Path) -> tuple[list[GunshotAlert], list[GunshotBookmark], list[AuditEvent]]:
    svc = build_services(load_settings(config))
    try:
        with svc.sessions() as s:
            return (list(s.scalars(select(GunshotAlert).order_by(GunshotAlert.id))),
                    list(s.scalars(select(GunshotBookmark))),
                    list(s.scalars(select(AuditEvent).where(AuditEvent.action
                                                            == "gunshot.import"))))
    finally:
        svc.engine.dispose()


def test_import_stores_versions_and_bookmarks(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svc = build_services(load_settings(config))
    try:
        add_camera(svc, "north-cam", destination(SPOT, 180, 50), heading=0)
    finally:
        svc.engine.dispose()
    csv = tmp_path / "alerts.csv"
    csv.write_text(
        HEADER
        + f"A-1,gunfire,3,{SPOT.lat},{SPOT.lon},100 Main St,2025-07-04T23:10:00Z\n"
        + f"A-1,fireworks,,{SPOT.lat},{SPOT.lon},,2025-07-04T23:10:00Z\n"
        + "A-2,other,1,41.0,-75.0,Elsewhere,2025-07-05T01:00:00-04:00\n",
        encoding="utf-8",
    )
    assert main(["gunshot", "import", str(csv), "--config", str(config),
                 "--source", "archive"]) == 0
    assert "3 alert version(s) imported" in capsys.readouterr().out
    alerts, marks, audits = _db(config)
    assert [(a.alert_id, a.version, a.type, a.rounds) for a in alerts] == [
        ("A-1", 1, "gunfire", 3), ("A-1", 2, "fireworks", None), ("A-2", 1, "other", 1)]
    assert {a.source for a in alerts} == {"archive"}
    assert alerts[2].detected_at.isoformat() == "2025-07-05T05:00:00+00:00"
    assert [(m.alert_id, m.camera_id) for m in marks] == [("A-1", "north-cam")]
    assert len(audits) == 1 and audits[0].details == {
        "source": "archive", "alerts": 3, "covered": 2}


@pytest.mark.parametrize(("line", "expected"), [
    ("A-9,gunfire,2,95.0,-74.0,,2025-07-04T23:10:00Z", "line 3: latitude"),
    ("A-9,bang,2,40.0,-74.0,,2025-07-04T23:10:00Z", "line 3: type"),
    ("A-9,gunfire,two,40.0,-74.0,,2025-07-04T23:10:00Z", "line 3: rounds"),
    ("A-9,gunfire,2,40.0,-74.0,,2025-07-04 23:10", "line 3: detected_at"),
    (",gunfire,2,40.0,-74.0,,2025-07-04T23:10:00Z", "line 3: id"),
])
def test_bad_line_exits_2_naming_it_and_stores_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, expected: str
) -> None:
    csv = tmp_path / "alerts.csv"
    csv.write_text(HEADER + "A-1,gunfire,3,40.7,-74.0,,2025-07-04T23:10:00Z\n" + line + "\n")
    assert main(["gunshot", "import", str(csv), "--config", str(config)]) == 2
    assert expected in capsys.readouterr().err
    alerts, _, audits = _db(config)
    assert alerts == [] and audits == []


def test_missing_header_column_is_named(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "alerts.csv"
    csv.write_text("id,type,latitude\nA-1,gunfire,40.7\n")
    assert main(["gunshot", "import", str(csv), "--config", str(config)]) == 2
    assert "line 1: header lacks detected_at, longitude" in capsys.readouterr().err
