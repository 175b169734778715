"""Retention API: auditors read the report, supervisors manage holds, with real auth."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from rtcc.config.sections import VideoFreeSpaceSettings
from rtcc.db import transaction
from rtcc.models import AuditEvent, LegalHold, VideoSegment
from rtcc.runtime.services import Services
from tests.support import retention_data as f
from web.app import create_app

DAY = timedelta(days=1)


def test_auditor_gets_the_report(api_client: Any, services: Services) -> None:
    with transaction(services.sessions) as s:
        f.read(s, services.settings.data_dir, services.clock.now() - 100 * DAY)
    client = api_client("auditor")
    resp = client.get("/api/retention/report")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["compliant"] is False
    assert body["classes"]["plate_reads"]["past_period"] == 1
    assert body["classes"]["video"]["policy_days"] == 30
    assert "runs: no successful retention run recorded" in body["reasons"]
    with services.sessions() as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "retention.report"))


def test_report_needs_permission(api_client: Any) -> None:
    assert api_client(None).get("/api/retention/report").status_code == 401
    assert api_client("officer").get("/api/retention/report").status_code == 403


def test_supervisor_places_lists_and_releases_a_hold(api_client: Any, services: Services) -> None:
    client = api_client("supervisor")
    now = services.clock.now()
    body = {
        "case_number": "2026-77",
        "reason": "hit and run",
        "data_class": "plate_reads",
        "plate": "abc 123",
        "start_at": (now - 10 * DAY).isoformat(),
        "end_at": now.isoformat(),
        "expires_at": (now + 90 * DAY).isoformat(),
    }
    resp = client.post("/api/retention/holds", json=body)
    assert resp.status_code == 201, resp.text
    hold = resp.json()
    assert hold["scope"]["plate"] == "ABC123" and hold["active"] is True
    assert client.get("/api/retention/holds").json()["count"] == 1
    resp = client.post(f"/api/retention/holds/{hold['id']}/release")
    assert resp.status_code == 200
    assert resp.json()["released_by"] == client.username
    assert client.get("/api/retention/holds").json()["count"] == 0
    again = client.post(f"/api/retention/holds/{hold['id']}/release")
    assert again.status_code == 409
    with services.sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.case_number == "2026-77"))
        assert list(actions) == ["hold.create", "hold.release"]


def test_bad_hold_is_422_and_nothing_written(api_client: Any, services: Services) -> None:
    client = api_client("supervisor")
    now = services.clock.now()
    resp = client.post(
        "/api/retention/holds",
        json={
            "case_number": "C1",
            "reason": "r",
            "data_class": "video",
            "expires_at": (now + DAY).isoformat(),
        },
    )
    assert resp.status_code == 422
    assert resp.json()["field"] == "item_ids"
    with services.sessions() as s:
        assert s.scalar(select(LegalHold.id)) is None


def test_auditor_cannot_place_holds(api_client: Any) -> None:
    resp = api_client("auditor").post("/api/retention/holds", json={})
    assert resp.status_code == 403


def test_a_dry_run_shows_the_video_that_would_go_for_free_space(
    api_client: Any, services: Services
) -> None:
    with transaction(services.sessions) as s:
        for age in (2, 3, 4):
            f.segment(s, services.settings.data_dir, services.clock.now() - age * DAY)
    retention = services.settings.retention.model_copy(update={
        "video_free_space": VideoFreeSpaceSettings(below_mb=10**12)})  # no disk is that free
    settings = services.settings.model_copy(update={"retention": retention})
    app = create_app(replace(services, settings=settings))
    client = api_client("supervisor", app=app)
    resp = client.post("/api/retention/run", json={"dry_run": True, "force": True})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["deleted_rows"]["video_free_space"] == 3 and body["dry_run"] is True
    assert body["free_space"]["segments"] == 3 and body["free_space"]["short_bytes"] > 0
    with services.sessions() as s:
        assert len(s.scalars(select(VideoSegment.id)).all()) == 3  # nothing deleted
