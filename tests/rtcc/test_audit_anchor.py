"""Signed checkpoints catch what the hash chain alone cannot: an insider deleting the newest rows
or rewriting a row and recomputing the chain; a missing or forged checkpoint is named too."""

from __future__ import annotations

import base64
import json
import stat
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from retention.executor import Executor, RunOptions
from rtcc import audit
from rtcc.audit import SYSTEM
from rtcc.audit_anchor import (
    Anchor,
    AuditChainBrokenError,
    anchor_from_settings,
    checkpoint_from_json,
    key_id,
    load_or_create_key,
)
from rtcc.cli.main import main
from rtcc.errors import ConfigError
from rtcc.models import AuditEvent
from rtcc.runtime.anchoring import AfterRetention, CheckpointScheduler
from rtcc.runtime.services import Services


def _fill(services: Services, n: int) -> None:
    with services.sessions() as s:
        for i in range(n):
            audit.record(s, now=services.clock.now(), actor=SYSTEM, action="test.event",
                         target=f"t{i}", details={"i": i})
        s.commit()


def _config(tmp_path: Path, services: Services, **extra: Any) -> str:
    path = tmp_path / "rtcc.yaml"
    data = {"data_dir": str(services.settings.data_dir),
            "database": {"url": services.settings.database_url}, **extra}
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _cli(*argv: str) -> int:
    return main(list(argv))


@pytest.fixture
def trail(services: Services, tmp_path: Path) -> dict[str, Any]:
    """Rows 1-4, checkpoint 1 (signs row 4, recorded as row 5), rows 6-8, checkpoint 2 (row 8,
    recorded as row 9)."""
    cfg = _config(tmp_path, services)
    _fill(services, 4)
    assert _cli("audit", "checkpoint", "--config", cfg) == 0
    _fill(services, 3)
    assert _cli("audit", "checkpoint", "--config", cfg) == 0
    return {"config": cfg, "dir": services.settings.audit_checkpoint_dir}


def _verify(cfg: str, directory: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = _cli("audit", "verify", "--config", cfg, "--checkpoints", str(directory), *extra)
    out = capsys.readouterr()
    assert code == (0 if "verified" in out.out else 1), out
    return out.out + out.err


def _sql(services: Services, statement: str) -> None:
    with services.engine.begin() as conn:
        conn.execute(text(statement))


def test_key_is_created_private_and_printable(
    services: Services, trail: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    key_path = services.settings.audit_signing_key
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert sorted(p.name for p in trail["dir"].glob("*.json")) == [
        "checkpoint-00000001.json", "checkpoint-00000002.json"]
    cp = json.loads((trail["dir"] / "checkpoint-00000002.json").read_text())
    assert (cp["seq"], cp["row_id"], cp["rows"]) == (2, 8, 8)
    capsys.readouterr()
    assert _cli("audit", "public-key", "--config", trail["config"]) == 0
    assert capsys.readouterr().out.startswith("ed25519:")
    with services.sessions() as s:
        recorded = s.scalars(select(AuditEvent.id).where(
            AuditEvent.action == "audit.checkpoint")).all()
    assert recorded == [5, 9]
    out = _verify(trail["config"], trail["dir"], capsys)
    assert "9 row(s)" in out and "2 checkpoint(s) match" in out


def test_rows_deleted_from_the_newest_end(
    services: Services, trail: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _sql(services, "DELETE FROM audit_event WHERE id >= 7")
    with services.sessions() as s:
        assert audit.verify(s) is None  # the chain alone cannot tell
    out = _verify(trail["config"], trail["dir"], capsys)
    assert "truncated: rows 7-8 deleted from the newest end" in out
    assert "checkpoint-00000002.json" in out
    assert "checkpoint seq 2 recorded in row 9" not in out  # row 9 is gone too


def _rewrite_and_rechain(services: Services, row_id: int) -> None:
    with services.sessions() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.id >= row_id - 1)
                         .order_by(AuditEvent.id)).all()
        prev = rows[0].hash
        for ev in rows[1:]:
            if ev.id == row_id:
                ev.target = "nothing to see"
            ev.prev_hash = prev
            ev.hash = audit.compute_hash(ev)
            prev = ev.hash
        s.commit()


def test_row_rewritten_with_a_recomputed_chain(
    services: Services, trail: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _rewrite_and_rechain(services, 7)
    with services.sessions() as s:
        assert audit.verify(s) is None  # the chain alone cannot tell
    out = _verify(trail["config"], trail["dir"], capsys)
    assert "rewritten: rows 5-8 rewritten with a recomputed chain" in out
    assert "checkpoint-00000002.json (seq 2) signed row 8" in out


def test_rewriting_an_early_row_names_the_first_checkpoint(
    services: Services, trail: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _rewrite_and_rechain(services, 2)
    out = _verify(trail["config"], trail["dir"], capsys)
    assert "rows 1-4 rewritten" in out and "checkpoint-00000001.json" in out


@pytest.mark.parametrize(("removed", "expected"), [
    ("checkpoint-00000001.json", "checkpoint seq 1 missing (before checkpoint-00000002.json)"),
    ("checkpoint-00000002.json", "checkpoint seq 2 recorded in row 9 is not in the checkpoint"),
])
def test_missing_checkpoint(
    trail: dict[str, Any], capsys: pytest.CaptureFixture[str], removed: str, expected: str
) -> None:
    (trail["dir"] / removed).unlink()
    out = _verify(trail["config"], trail["dir"], capsys)
    assert f"missing_checkpoint: {expected}" in out


def test_forged_checkpoints(
    trail: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = trail["dir"] / "checkpoint-00000001.json"
    data = json.loads(first.read_text())
    data["row_id"] = 3  # edited by hand: the signature no longer verifies
    first.write_text(json.dumps(data))
    out = _verify(trail["config"], trail["dir"], capsys)
    assert "forged_checkpoint: checkpoint checkpoint-00000001.json forged: signature does " \
           "not verify" in out
    # A checkpoint signed with another key, placed after the real ones.
    mallory = Anchor(key_path=tmp_path / "mallory.key", directory=tmp_path / "mallory")
    real = json.loads((trail["dir"] / "checkpoint-00000002.json").read_text())
    cp = checkpoint_from_json({**real, "seq": 3, "key_id": key_id(mallory.public_key)})
    signed = {**asdict(cp), "signature": base64.b64encode(mallory.key.sign(cp.payload())).decode()}
    (trail["dir"] / "checkpoint-00000003.json").write_text(json.dumps(signed))
    out = _verify(trail["config"], trail["dir"], capsys)
    assert "checkpoint-00000003.json forged: signed by another key" in out


def test_offline_verifier_needs_only_the_trail_and_the_public_key(
    services: Services, trail: dict[str, Any], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exported = tmp_path / "trail.jsonl"
    assert _cli("audit", "export", "--config", trail["config"], "--output", str(exported)) == 0
    assert _cli("audit", "public-key", "--config", trail["config"]) == 0
    public = capsys.readouterr().out.strip()
    assert len(exported.read_text().splitlines()) == 9
    # An auditor's machine: no database reachable, no signing key.
    offline = tmp_path / "auditor"
    offline.mkdir()
    cfg = offline / "rtcc.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(offline / "data"), "database": {
        "url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}}))
    args = ("--trail", str(exported), "--public-key", public)
    out = _verify(str(cfg), trail["dir"], capsys, *args)
    assert "audit trail verified: 9 row(s)" in out
    # Cut the export's newest rows: caught the same way.
    exported.write_text("\n".join(exported.read_text().splitlines()[:6]) + "\n")
    out = _verify(str(cfg), trail["dir"], capsys, *args)
    assert "rows 7-8 deleted from the newest end" in out
    assert not (offline / "data" / "audit-signing.key").exists()


def test_no_checkpoint_signed_over_a_broken_chain(
    services: Services, trail: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _sql(services, "DELETE FROM audit_event WHERE id >= 8")
    assert _cli("audit", "checkpoint", "--config", trail["config"]) == 2
    assert "row 8 signed by checkpoint 2 is missing" in capsys.readouterr().err
    anchor = anchor_from_settings(services.settings)
    with services.sessions() as s, pytest.raises(AuditChainBrokenError):
        anchor.checkpoint(s, now=services.clock.now())


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    load_or_create_key(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load_or_create_key(path)
    path.chmod(0o600)
    assert isinstance(load_or_create_key(path), Ed25519PrivateKey)


def test_scheduler_skips_when_idle_and_retention_runs_checkpoint(services: Services) -> None:
    anchor = anchor_from_settings(services.settings)
    sched = CheckpointScheduler(sessions=services.sessions, anchor=anchor,
                                clock=services.clock, interval_s=60)
    _fill(services, 2)
    first = sched.run_once()
    assert first is not None and (first.seq, first.row_id, first.reason) == (1, 2, "scheduled")
    assert sched.run_once() is None  # nothing new since: no file
    _fill(services, 1)
    second = sched.run_once()
    assert second is not None and second.row_id == 4
    ex = Executor(sessions=services.sessions, settings=services.settings.retention,
                  data_dir=services.settings.data_dir, clock=services.clock,
                  after_run=AfterRetention(sessions=services.sessions, anchor=anchor,
                                           clock=services.clock))
    ex.run(RunOptions())
    latest = anchor.latest()
    assert latest is not None and (latest.seq, latest.reason) == (3, "retention")
    with services.sessions() as s:
        last_run = s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.run")).one()
    assert latest.row_id == last_run.id  # signed right after the run's own audit row
