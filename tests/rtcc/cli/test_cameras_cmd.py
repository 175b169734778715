"""``rtcc cameras import`` on a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from rtcc.cli.main import main
from rtcc.config import load_settings
from rtcc.models import AuditEvent, Camera
from rtcc.runtime.services import build_services

HEADER = "id,name,url,detect_url,lat,lon,heading,lpr,record,site\n"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cfg = tmp_path / "rtcc.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    return cfg


def _rows(config: Path) -> dict[str, Camera]:
    svc = build_services(load_settings(config))
    try:
        with svc.sessions() as s:
            return {c.id: c for c in s.scalars(select(Camera))}
    finally:
        svc.engine.dispose()


def test_bad_file_rejected_whole_with_line_numbers(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "cams.csv"
    csv.write_text(HEADER + "a,,/a.mp4,,,,,,,\n" + "b,,/b.mp4,,91,0,,,,\n" + "c,,,,,,,,,\n")
    assert main(["cameras", "import", str(csv), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "2 bad line(s), nothing imported" in err
    assert "line 3: lat" in err and "line 4: url" in err
    assert _rows(config) == {}


def test_skip_bad_imports_the_rest(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "cams.csv"
    rows = "".join(f"cam-{i},Cam {i},rtsp://u:pw@h/{i},,,,,true,false,east\n" for i in range(50))
    csv.write_text(HEADER + rows + "bad,,,,,,,,,\n")
    assert main(["cameras", "import", str(csv), "--skip-bad", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "50 created, 0 updated, 1 skipped" in out
    assert "line 52: skipped: url" in err
    cams = _rows(config)
    assert len(cams) == 50 and cams["cam-7"].site == "east" and cams["cam-7"].origin == "csv"
    assert main(["cameras", "list", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert "cam-49" in listing and "pw" not in listing  # credentials redacted
    svc = build_services(load_settings(config))
    with svc.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action)))
    svc.engine.dispose()
    assert "cameras.import" in actions
