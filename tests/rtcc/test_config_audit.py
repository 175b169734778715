"""Every start audits the effective settings: a hash, and a diff against the last start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from rtcc import audit
from rtcc.clock import FakeClock
from rtcc.config_audit import ACTION, effective
from rtcc.models import AuditEvent
from rtcc.runtime.services import build_services


def _start(make_settings: Any, url: str, clock: FakeClock, **overrides: Any) -> None:
    from rtcc.cli.serve import first_start

    services = build_services(make_settings(database={"url": url}, **overrides), clock=clock)
    try:
        first_start(services)
    finally:
        services.engine.dispose()


def test_a_changed_configuration_leaves_a_trace(
    make_settings: Any, db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    _start(make_settings, db_url, clock)
    _start(make_settings, db_url, clock)  # unchanged: recorded, nothing different
    _start(make_settings, db_url, clock, environment="production",
           retention={"plate_reads_days": 36500},
           auth={"cookie_secure": False, "bootstrap_admin": "root",
                 "bootstrap_password": "s3cret-bootstrap-pass"})
    services = build_services(make_settings(database={"url": db_url}), clock=clock)
    try:
        with services.sessions() as s:
            rows = s.scalars(select(AuditEvent).where(AuditEvent.action == ACTION)
                             .order_by(AuditEvent.id)).all()
            assert audit.check_chain(s).ok
    finally:
        services.engine.dispose()
    first, same, changed = (r.details or {} for r in rows)
    assert same["sha256"] == first["sha256"] and same["changed"] == 0
    assert changed["sha256"] != same["sha256"] and changed["previous_sha256"] == same["sha256"]
    assert changed["diff"]["retention.plate_reads_days"] == [90, 36500]
    assert changed["diff"]["environment"] == ["test", "production"]
    assert changed["diff"]["auth.bootstrap_password"] == [None, "***"]
    assert "s3cret-bootstrap-pass" not in str(changed)


def test_secrets_in_urls_and_secret_keys_are_redacted(make_settings: Any) -> None:
    settings = make_settings(database={"url": "postgresql+psycopg://rtcc:hunter2@db:5432/rtcc"},
                             auth={"bootstrap_admin": "root", "bootstrap_password": "pw-123456"})
    flat = effective(settings)
    assert flat["database.url"] == "postgresql+psycopg://rtcc:***@db:5432/rtcc"
    assert flat["auth.bootstrap_password"] == "***"
    assert "hunter2" not in str(flat) and "pw-123456" not in str(flat)
