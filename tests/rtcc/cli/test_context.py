"""Every command opens settings and services through ``cli_context`` and records one operator."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from rtcc.cli.context import cli_actor, operator_name
from rtcc.cli.main import main
from rtcc.config import load_settings
from rtcc.models import AuditEvent
from rtcc.runtime.services import build_services

PASSWORD = "a long enough password"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "rtcc.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "log_level": "WARNING"}))
    return path


def test_every_command_records_the_same_operator(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = ["--config", str(config)]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "chief", "--role", "admin", "--password-stdin", *cfg]) == 0
    assert main(["retention", "holds", "add", "--case", "C-1", "--reason", "court order",
                 "--class", "plate_reads", "--expires", "2099-01-01T00:00:00Z", "--ids", "1",
                 *cfg]) == 0
    hotlist = tmp_path / "list.csv"
    hotlist.write_text("plate,state,reason\nAB12CDE,,stolen\n")
    assert main(["hotlist", "import", str(hotlist), "--list", "stolen", "--no-progress",
                 *cfg]) == 0
    assert main(["audit", "checkpoint", *cfg]) == 0
    services = build_services(load_settings(config))
    try:
        with services.sessions() as s:
            rows = s.execute(select(AuditEvent.action, AuditEvent.username, AuditEvent.role,
                                    AuditEvent.source, AuditEvent.credential)).all()
    finally:
        services.engine.dispose()
    by_action = {r.action: tuple(r)[1:] for r in rows}
    expected = (f"cli:{operator_name()}", "cli", "cli", "cli")
    assert by_action["user.create"] == expected
    assert by_action["hold.create"] == expected
    assert [a for a, who in by_action.items() if who != expected] == [], by_action
    assert cli_actor().username == expected[0]


def test_the_configured_log_level_is_applied(config: Path) -> None:
    assert main(["audit", "verify", "--config", str(config)]) == 0
    assert logging.getLogger().getEffectiveLevel() == logging.WARNING


def test_workers_take_the_parents_level() -> None:
    from cameras.worker import WorkerSpec
    from rtcc.logs import configure_logging

    settings = load_settings(None, environ={}, overrides={
        "cameras": [{"id": "c1", "url": "x.mp4"}]})
    root = logging.getLogger()
    before = root.level
    try:
        configure_logging("DEBUG")
        spec = WorkerSpec(settings.cameras[0], settings.lpr, settings.data_dir)
        assert spec.log_level == logging.DEBUG
    finally:
        root.setLevel(before)


def test_every_command_module_opens_services_through_the_context() -> None:
    """New ``rtcc/cli/*_cmd.py`` modules follow the pattern in ``rtcc/cli/context.py``."""
    from tests.support.paths import ROOT

    exempt = {"check_cmd.py"}  # validates a file given as an argument; opens nothing
    offenders = []
    for path in sorted((ROOT / "rtcc" / "cli").glob("*.py")):
        if path.name in exempt or path.name in {"context.py", "main.py", "__init__.py"}:
            continue
        text = path.read_text(encoding="utf-8")
        direct = [w for w in ("load_settings(", "build_services(", "make_engine(", "Actor(")
                  if w in text]
        if direct:
            offenders.append(f"{path.name}: calls {', '.join(direct)} instead of cli_context")
    assert offenders == []
