"""Tampering with ``audit_event`` directly in the database is caught by ``rtcc audit verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from rtcc import audit
from rtcc.audit import SYSTEM
from rtcc.cli.main import main
from rtcc.runtime.services import Services


def _fill(services: Services, n: int = 6) -> None:
    with services.sessions() as s:
        for i in range(n):
            audit.record(s, now=services.clock.now(), actor=SYSTEM, action="test.event",
                         target=f"t{i}", details={"i": i})
        s.commit()


def _config(tmp_path: Path, services: Services) -> Path:
    path = tmp_path / "rtcc.yaml"
    path.write_text(yaml.safe_dump({
        "data_dir": str(services.settings.data_dir),
        "database": {"url": services.settings.database_url},
    }))
    return path


def _sql(services: Services, statement: str, **params: Any) -> None:
    with services.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_intact_chain_verifies(services: Services, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    _fill(services)
    assert main(["audit", "verify", "--config", str(_config(tmp_path, services))]) == 0
    assert "intact: 6 row(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("tamper", "row", "kind"),
    [
        ("UPDATE audit_event SET target = 'nothing to see' WHERE id = 3", 3, "altered"),
        ("UPDATE audit_event SET outcome = 'failure' WHERE id = 1", 1, "altered"),
        ("DELETE FROM audit_event WHERE id = 4", 4, "deleted"),
        ("INSERT INTO audit_event (id, at, username, action, outcome, prev_hash, hash) "
         "VALUES (7, '2026-03-01 12:00:00+00:00', 'mallory', 'reads.search', 'success', "
         "'" + "a" * 64 + "', '" + "b" * 64 + "')", 7, "inserted"),
        ("INSERT INTO audit_event (id, at, username, action, outcome, prev_hash, hash) "
         "VALUES (0, '2026-03-01 12:00:00+00:00', 'mallory', 'reads.search', 'success', "
         "'" + "0" * 64 + "', '" + "b" * 64 + "')", 0, "inserted"),
    ],
)
def test_tampering_is_named(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    tamper: str, row: int, kind: str,
) -> None:
    _fill(services)
    _sql(services, tamper)
    assert main(["audit", "verify", "--config", str(_config(tmp_path, services))]) == 1
    err = capsys.readouterr().err
    assert f"BROKEN at row {row} ({kind})" in err


def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(services: Services) -> None:
    _fill(services)
    with services.sessions() as s:
        ev = s.get(audit.AuditEvent, 2)
        assert ev is not None
        ev.target = "forged"
        ev.hash = audit.compute_hash(ev)
        s.commit()
        problem = audit.verify(s)
    assert problem is not None and problem.row_id == 3


def test_appending_after_tampering_does_not_hide_it(services: Services) -> None:
    _fill(services, 3)
    _sql(services, "DELETE FROM audit_event WHERE id = 2")
    _fill(services, 2)
    with services.sessions() as s:
        problem = audit.verify(s)
    assert problem is not None and (problem.row_id, problem.kind) == (2, "deleted")
