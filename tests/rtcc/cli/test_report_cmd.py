"""``rtcc report transparency``: JSON equal to the service's report, HTML, and a real PDF."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from rtcc.cli.main import main
from rtcc.runtime.services import Services
from tests.support.activity_year import YEAR, fill_year
from tests.support.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "transparency"


def _config(tmp_path: Path, services: Services) -> str:
    path = tmp_path / "rtcc.yaml"
    path.write_text(yaml.safe_dump({
        "data_dir": str(services.settings.data_dir),
        "database": {"url": services.settings.database_url},
        "transparency": {"suppress_below": 5}}))
    return str(path)


@pytest.fixture
def filled(services: Services, tmp_path: Path) -> str:
    with services.sessions() as s:
        fill_year(s, services.settings.data_dir)
        s.commit()
    return _config(tmp_path, services)


def test_json_and_html(filled: str, tmp_path: Path, services: Services) -> None:
    out = tmp_path / "r.json"
    assert main(["report", "transparency", "--year", str(YEAR), "--config", filled,
                 "--output", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [t["technology"] for t in report["technologies"]] == ["lpr", "video", "gunshot"]
    assert report["technologies"][0]["figures"]["reads"]["value"] > 300
    html = tmp_path / "r.html"
    assert main(["report", "transparency", "--year", str(YEAR), "--config", filled,
                 "--format", "html", "--public", "--output", str(html)]) == 0
    page = html.read_text()
    assert "Surveillance technology report 2025" in page and "public version" in page
    assert "<5" not in page and "&lt;5" in page  # escaped
    with services.sessions() as s:
        actions = s.execute(text("SELECT details FROM audit_event WHERE action = "
                                 "'transparency.report'")).all()
    assert len(actions) == 2


def test_bad_year_exits_2(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "transparency", "--year", "1900", "--config", filled]) == 2
    assert "year" in capsys.readouterr().err


@pytest.mark.slow
def test_pdf_renders(filled: str, tmp_path: Path, db_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed")
    pdf = tmp_path / "report.pdf"
    assert main(["report", "transparency", "--year", str(YEAR), "--config", filled,
                 "--format", "pdf", "--output", str(pdf)]) == 0
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 5_000
    if db_url.startswith("sqlite") and shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(pdf, ARTIFACTS / "report.pdf")
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "page")],
                       check=True, timeout=60)
        assert list(ARTIFACTS.glob("page-*.png"))
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True,
                              timeout=60).stdout.decode()
        assert "Automated licence plate recognition" in text
