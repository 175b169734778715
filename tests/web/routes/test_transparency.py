"""Transparency API: the report for auditors and supervisors, versioned entries, a named
sign-off, and the public page (off by default; aggregate figures only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rtcc import audit
from rtcc.audit import Actor
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.models import AuditEvent, Camera, Hit
from rtcc.runtime.services import Services, build_services
from tests.support import retention_data as f
from web.app import create_app


def test_roles(api_client: Any) -> None:
    assert api_client(None).get("/api/transparency/2025").status_code == 401
    assert api_client("officer").get("/api/transparency/2025").status_code == 403
    assert api_client("detective").get("/api/transparency/2025").status_code == 403
    for role in ("auditor", "supervisor"):
        resp = api_client(role).get("/api/transparency/2025")
        assert resp.status_code == 200, resp.text
    officer = api_client("officer")
    resp = officer.post("/api/transparency/2025/entries/lpr", json={"funding": "x"})
    assert resp.status_code == 403


def test_report_shape_and_counts(api_client: Any, services: Services) -> None:
    now = services.clock.now()
    with transaction(services.sessions) as s:
        for i in range(3):
            f.read(s, services.settings.data_dir, now - timedelta(days=i + 1), files=False)
    body = api_client("auditor").get("/api/transparency/2026").json()
    assert body["year"] == 2026 and body["partial"] is True
    lpr = body["technologies"][0]
    assert lpr["technology"] == "lpr" and lpr["figures"]["reads"]["value"] == 3
    assert lpr["figures"]["reads"]["window"]["end"] == now.isoformat()
    assert [t["technology"] for t in body["technologies"]] == ["lpr", "video", "gunshot"]
    public = api_client("auditor").get("/api/transparency/2026", params={"public": True}).json()
    assert public["technologies"][0]["figures"]["reads"]["value"] == "<5"


def test_bad_year_and_technology_are_422(api_client: Any) -> None:
    client = api_client("auditor")
    assert client.get("/api/transparency/1999").status_code == 422
    resp = client.post("/api/transparency/2025/entries/drones", json={})
    assert resp.status_code == 422 and "technology" in resp.text
    resp = client.post("/api/transparency/2025/entries/lpr", json={"budget": "1"})
    assert resp.status_code == 422 and "budget" in resp.text


def test_entries_versioned_and_signed_off(api_client: Any, services: Services) -> None:
    client = api_client("supervisor")
    for text in ("Patrol and investigations.", "Patrol, investigations and AMBER alerts."):
        resp = client.post("/api/transparency/2025/entries/lpr", json={"how_used": text})
        assert resp.status_code == 200, resp.text
    versions = client.get("/api/transparency/2025/entries/lpr").json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert versions["items"][1]["fields"] == {"how_used": "Patrol and investigations."}
    resp = client.post("/api/transparency/2025/signoff", json={"statement": "Accurate."})
    assert resp.status_code == 200, resp.text
    signed = resp.json()
    assert signed["signed_by"] == client.username and signed["versions"]["lpr"] == 2
    report = api_client("auditor").get("/api/transparency/2025").json()
    assert report["signoff"]["signed_by"] == client.username
    assert report["technologies"][0]["entered"]["version"] == 2
    with services.sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("transparency.%"))).all()
    assert actions == ["transparency.enter", "transparency.enter", "transparency.signoff"]


def test_html_export_is_audited(api_client: Any, services: Services) -> None:
    resp = api_client("auditor").get("/api/transparency/2025/report.html")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert "Surveillance technology report 2025" in resp.text
    with services.sessions() as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "transparency.report"))


def test_public_page_is_off_by_default(api_client: Any) -> None:
    anon = api_client(None)
    assert anon.get("/public/transparency").status_code == 404
    assert anon.get("/api/public/transparency").status_code == 404


@pytest.fixture
def public_app(make_settings: Any, db_url: str, clock: FakeClock) -> Iterator[Any]:
    settings = make_settings(database={"url": db_url}, transparency={"public_page": True})
    svc = build_services(settings, clock=clock)
    try:
        yield create_app(svc)
    finally:
        svc.engine.dispose()


def _activity(svc: Services) -> None:
    now = svc.clock.now()
    with transaction(svc.sessions) as s:
        s.add(Camera(id="elm-street-07", name="Elm Street 7", site="Elm precinct", created_at=now,
                     updated_at=now))
        s.flush()
        for i in range(12):
            read = f.read(s, svc.settings.data_dir, now - timedelta(days=1, minutes=i),
                          plate=f"XYZ{i:03d}", cam_id="elm-street-07", files=False)
            if i < 6:
                hit = f.hit(s, read)
                hit.status = "confirmed" if i < 2 else "rejected"
        for _ in range(7):
            audit.record(s, now=now - timedelta(hours=2), action="reads.search",
                         actor=Actor(username="det.jones", roles=("detective",)),
                         target="plate:XYZ001", case_number="CASE-77",
                         details={"reason": "robbery follow-up", "purpose": "investigation"})


def test_public_page_has_aggregates_only(public_app: Any, api_client: Any) -> None:
    svc: Services = public_app.state.services
    _activity(svc)
    anon = api_client(None, app=public_app)
    resp = anon.get("/api/public/transparency")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["activity"]["reads"] == 12 and body["activity"]["searches"] == 7
    assert body["dispositions"] == {"confirmed": "<5", "rejected": "<5", "acknowledged": 0,
                                    "unhandled": 0}
    assert body["cameras"]["total"] == 1
    page = anon.get("/public/transparency")
    assert page.status_code == 200 and "public figures" in page.text
    with svc.sessions() as s:
        hit_plates = s.scalars(select(Hit.plate)).all()
    for text in (resp.text, page.text):
        for secret in ("XYZ0", "elm-street-07", "Elm Street", "Elm precinct", "det.jones",
                       "CASE-77", "robbery", *hit_plates):
            assert secret not in text, secret


@pytest.mark.slow
def test_pdf_download(api_client: Any, db_url: str) -> None:
    if db_url.startswith("postgresql"):
        pytest.skip("rendering does not depend on the database")
    resp = api_client("supervisor").get("/api/transparency/2025/report.pdf",
                                        params={"public": True})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-")
    assert "transparency-2025-public.pdf" in resp.headers["content-disposition"]


def test_pdf_without_chromium_is_503(make_settings: Any, db_url: str, clock: FakeClock,
                                     api_client: Any) -> None:
    settings = make_settings(database={"url": db_url},
                             transparency={"chromium": "/nonexistent/chromium"})
    svc = build_services(settings, clock=clock)
    try:
        resp = api_client("auditor", app=create_app(svc)).get("/api/transparency/2025/report.pdf")
        assert resp.status_code == 503 and resp.json()["error"] == "pdf_unavailable"
    finally:
        svc.engine.dispose()
