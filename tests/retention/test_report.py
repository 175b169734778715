"""The auditor's report sees what the database and the disk say, not what the job claims."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from retention.executor import RunOptions
from retention.report import build_report, format_text
from rtcc.db import transaction
from rtcc.models import AuditEvent, RetentionRun
from rtcc.runtime.services import Services
from tests.support import retention_data as f

DAY = timedelta(days=1)


def _report(services: Services) -> dict[str, Any]:
    with services.sessions() as s:
        return build_report(
            s,
            now=services.clock.now(),
            settings=services.settings.retention,
            data_dir=services.settings.data_dir,
        )


def test_reconciliation_finds_orphans_and_missing_files(
    services: Services, make_executor: Any
) -> None:
    now = services.clock.now()
    data = services.settings.data_dir
    with transaction(services.sessions) as s:
        rows = [f.read(s, data, now - a * DAY) for a in range(4)]
        f.segment(s, data, now - DAY)
    make_executor(services).run(RunOptions())
    assert _report(services)["compliant"]
    (data / rows[0].crop_path).unlink()  # type: ignore[operator]
    stray = data / "video/cam1/old.mp4"
    stray.write_bytes(b"v" * 5)
    old = (now - DAY).timestamp()
    os.utime(stray, (old, old))
    report = _report(services)
    rec = report["reconciliation"]
    assert rec["orphan_files"] == 1 and rec["orphan_sample"] == ["video/cam1/old.mp4"]
    assert rec["missing_files"] == 1 and rec["missing_sample"] == [rows[0].crop_path]
    assert not report["compliant"]
    assert "reconciliation: 1 file(s) without a row" in report["reasons"]
    assert "files 9: orphan 1" in format_text(report)


def test_stale_runs_and_failures_are_reported(services: Services, make_executor: Any) -> None:
    with transaction(services.sessions) as s:
        f.read(s, services.settings.data_dir, services.clock.now())
    make_executor(services).run(RunOptions())
    with transaction(services.sessions) as s:
        s.add(RetentionRun(started_at=services.clock.now(), status="failed"))
    services.clock.advance(hours=3)  # type: ignore[attr-defined]
    report = _report(services)
    assert report["runs"]["failed_last_30_days"] == 1
    assert any(r.startswith("runs: last successful run") for r in report["reasons"])


def test_tampered_audit_chain_is_not_compliant(services: Services, make_executor: Any) -> None:
    with transaction(services.sessions) as s:
        f.read(s, services.settings.data_dir, services.clock.now())
    make_executor(services).run(RunOptions())
    with transaction(services.sessions) as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 1).values(outcome="tampered"))
    report = _report(services)
    assert report["classes"]["audit"]["chain_ok"] is False
    assert any(r.startswith("audit: chain broken") for r in report["reasons"])


def test_policy_beyond_the_sites_legal_limit_is_flagged(
    services: Services, make_executor: Any
) -> None:
    """A configuration that keeps reads longer than the law allows is not compliant, even when
    the job faithfully applies it (issue 14)."""
    with transaction(services.sessions) as s:
        f.read(s, services.settings.data_dir, services.clock.now())
    make_executor(services).run(RunOptions())
    assert _report(services)["compliant"]
    settings = services.settings.retention.model_copy(
        update={"plate_reads_days": 36500, "legal_max_days": {"plate_reads": 90, "video": 31}})
    with services.sessions() as s:
        report = build_report(s, now=services.clock.now(), settings=settings,
                              data_dir=services.settings.data_dir)
    assert not report["compliant"]
    assert report["reasons"] == ["policy: plate_reads is kept 36500 days, beyond the legal "
                                 "limit of 90 days configured for this site"]
    assert report["classes"]["plate_reads"]["legal_max_days"] == 90
    assert report["classes"]["video"]["legal_max_days"] == 31
    assert "NOT COMPLIANT: policy: plate_reads" in format_text(report)
