"""``rtcc retention ...`` end to end in-process on a real SQLite database and media folder."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from rtcc.cli.main import main
from rtcc.clock import SystemClock
from rtcc.config import load_settings
from rtcc.db import transaction
from rtcc.runtime.services import build_services
from tests.support import retention_data as f

DAY = timedelta(days=1)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cfg = tmp_path / "rtcc.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}))
    svc = build_services(load_settings(cfg))
    now = SystemClock().now()  # the CLI runs on the real clock
    with transaction(svc.sessions) as s:
        for age in (0, 10, 89, 91, 100):
            f.read(s, svc.settings.data_dir, now - age * DAY)
    svc.engine.dispose()
    return cfg


def test_now_only_with_dry_run(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", "run", "--now", "2027-01-01T00:00:00Z", "--config", str(config)]) == 2
    assert "--now: only allowed with --dry-run" in capsys.readouterr().err
    assert (
        main(["retention", "run", "--dry-run", "--now", "tomorrow", "--config", str(config)]) == 2
    )
    assert "--now: not an ISO-8601 time" in capsys.readouterr().err
    assert (
        main(
            ["retention", "run", "--dry-run", "--now", "2027-01-01T00:00", "--config", str(config)]
        )
        == 2
    )
    assert "time zone" in capsys.readouterr().err


def test_dry_run_then_run_then_compliant_report(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retention", "report", "--json", "--config", str(config)]) == 1
    before = json.loads(capsys.readouterr().out)
    assert before["compliant"] is False and before["classes"]["plate_reads"]["past_period"] == 2
    assert main(["retention", "run", "--dry-run", "--json", "--config", str(config)]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] and dry["deleted_rows"]["plate_reads"] == 2
    assert main(["retention", "run", "--config", str(config)]) == 0
    assert "plate_reads: deleted 2 row(s), 220 bytes" in capsys.readouterr().out
    assert main(["retention", "report", "--json", "--config", str(config)]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["compliant"], after["reasons"]
    assert after["classes"]["plate_reads"]["items"] == 3


def test_holds_commands(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "retention",
        "holds",
        "add",
        "--case",
        "K-7",
        "--reason",
        "fraud",
        "--class",
        "plate_reads",
        "--ids",
        "4,5",
        "--expires",
        "2099-01-01T00:00:00Z",
        "--config",
        str(config),
    ]
    assert main(args) == 0
    hold = json.loads(capsys.readouterr().out)
    assert hold["scope"] == {"item_ids": [4, 5]}
    assert main(["retention", "run", "--config", str(config)]) == 0
    assert "plate_reads: 2 held item(s) kept" in capsys.readouterr().out
    assert main(["retention", "holds", "release", str(hold["id"]), "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["released_by"]
    assert main(["retention", "holds", "list", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    bad = [*args[:-2], "--ids", "a,b", "--config", str(config)]
    assert main(bad) == 2
    assert "--ids" in capsys.readouterr().err


def test_dry_run_shows_the_video_freed_for_space(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A threshold no disk meets (the real free space is measured): every unheld segment older
    than keep_hours would go, oldest first; the dry run says so and deletes nothing."""
    cfg = tmp_path / "rtcc.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "retention": {
        "video_free_space": {"below_mb": 10**12, "keep_hours": 48}}}))
    svc = build_services(load_settings(cfg))
    now = SystemClock().now()
    with transaction(svc.sessions) as s:
        paths = [f.segment(s, svc.settings.data_dir, now - age * DAY).path for age in (1, 3, 4)]
    svc.engine.dispose()
    assert main(["retention", "run", "--dry-run", "--force", "--json", "--config", str(cfg)]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["deleted_rows"]["video_free_space"] == 2  # not the one of 1 day (keep_hours 48)
    assert dry["free_space"]["segments"] == 2 and dry["free_space"]["short_bytes"] > 0
    assert all((tmp_path / "data" / p).exists() for p in paths)
    assert main(["retention", "run", "--dry-run", "--config", str(cfg)]) == 1  # over the rail
    text = capsys.readouterr().out
    assert "free space: " in text and "video_free_space: refusing" in text
