"""Search oversight with real auth on both databases: purpose codes (prohibited ones refused and
audited), the auditor's monthly random sample and verdicts, unusual search volume alerts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rtcc import audit
from rtcc.audit import Actor
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.models import AuditEvent, SearchReview, SearchVolumeAlert
from rtcc.oversight import review
from rtcc.runtime.oversight import OversightScheduler
from rtcc.runtime.services import Services, build_services
from web.app import create_app

BASE = {"reason": "stolen vehicle follow-up", "case_number": "2026-00042", "plate": "AB*"}


def test_purpose_is_required_and_must_be_configured(api_client: Any) -> None:
    client = api_client("detective")
    resp = client.get("/api/reads", params=BASE)
    assert resp.status_code == 422 and resp.json()["field"] == "purpose"
    resp = client.get("/api/reads", params={**BASE, "purpose": "curiosity"})
    assert resp.status_code == 422 and "not a configured purpose" in resp.json()["detail"]
    resp = client.get("/api/reads", params={**BASE, "purpose": "investigation"})
    assert resp.status_code == 200, resp.text
    listed = client.get("/api/oversight/purposes").json()
    assert "investigation" in listed["purposes"]
    assert "immigration_enforcement" in listed["prohibited_purposes"]


def test_prohibited_purpose_is_refused_and_audited(api_client: Any, services: Services) -> None:
    client = api_client("detective")
    for path in ("/api/reads", "/api/reads/export.csv"):
        resp = client.get(path, params={**BASE, "purpose": "immigration_enforcement"})
        assert resp.status_code == 403 and resp.json()["error"] == "prohibited_purpose"
    # Refused and recorded even when the rest of the request is incomplete.
    resp = client.get("/api/reads", params={"purpose": "lawful_protest"})
    assert resp.status_code == 403
    with services.sessions() as s:
        rows = s.execute(select(AuditEvent.outcome, AuditEvent.username, AuditEvent.details)
                         .where(AuditEvent.action == "reads.search")).all()
    assert [(r.outcome, r.username) for r in rows] == [("refused", client.username)] * 3
    assert [r.details["purpose"] for r in rows] == [
        "immigration_enforcement", "immigration_enforcement", "lawful_protest"]


@pytest.fixture
def basis_app(make_settings: Any, db_url: str, clock: FakeClock) -> Iterator[Any]:
    settings = make_settings(database={"url": db_url},
                             oversight={"legal_basis_required": ["warrant"]})
    svc = build_services(settings, clock=clock)
    try:
        yield create_app(svc)
    finally:
        svc.engine.dispose()


def test_legal_basis_where_configured(basis_app: Any, api_client: Any) -> None:
    client = api_client("detective", app=basis_app)
    resp = client.get("/api/reads", params={**BASE, "purpose": "warrant"})
    assert resp.status_code == 422 and resp.json()["field"] == "legal_basis"
    resp = client.get("/api/reads", params={**BASE, "purpose": "warrant",
                                            "legal_basis": "Warrant 26-W-118"})
    assert resp.status_code == 200
    svc: Services = basis_app.state.services
    with svc.sessions() as s:
        details = s.scalar(select(AuditEvent.details).where(AuditEvent.action == "reads.search"))
    assert details is not None and details["legal_basis"] == "Warrant 26-W-118"


def _searches(services: Services, user: str, days_ago: list[float]) -> None:
    now = services.clock.now()
    with transaction(services.sessions) as s:
        for ago in sorted(days_ago, reverse=True):
            audit.record(s, now=now - timedelta(days=ago), action="reads.search",
                         actor=Actor(username=user, roles=("detective",)), target="reads",
                         case_number="C-9", details={"purpose": "investigation",
                                                     "reason": f"search by {user}", "total": 3})


def test_monthly_sample_and_review(api_client: Any, services: Services) -> None:
    # The clock is 2026-03-01 12:00: February has ended.
    _searches(services, "det.a", [1.0 + i * 0.9 for i in range(30)])  # Feb (and late Jan)
    auditor = api_client("auditor")
    resp = auditor.post("/api/oversight/reviews/sample", json={"month": "2026-02"})
    assert resp.status_code == 200, resp.text
    sample = resp.json()["items"]
    assert len(sample) == 10 and all(i["month"] == "2026-02" for i in sample)
    assert all(i["searched_at"].startswith("2026-02") and i["purpose"] == "investigation"
               for i in sample)
    again = auditor.post("/api/oversight/reviews/sample", json={"month": "2026-02"}).json()
    assert [i["id"] for i in again["items"]] == [i["id"] for i in sample]  # drawn once
    assert auditor.post("/api/oversight/reviews/sample",
                        json={"month": "2026-03"}).status_code == 409  # not ended yet
    for bad in ("0000-01", "9999-12", "2026-13"):
        resp = auditor.post("/api/oversight/reviews/sample", json={"month": bad})
        assert resp.status_code == 422, bad
    assert auditor.get("/api/oversight/reviews", params={"month": "0000-01"}).status_code == 422
    first = sample[0]["id"]
    resp = auditor.post(f"/api/oversight/reviews/{first}",
                        json={"justified": False, "note": "no case file matches C-9"})
    assert resp.status_code == 200 and resp.json()["justified"] is False
    assert resp.json()["reviewed_by"] == auditor.username
    assert auditor.post(f"/api/oversight/reviews/{first}",
                        json={"justified": True, "note": "changed my mind"}).status_code == 409
    pending = auditor.get("/api/oversight/reviews", params={"pending": True}).json()
    assert pending["count"] == 9
    assert api_client("supervisor").get("/api/oversight/reviews").status_code == 403
    assert api_client("detective").post(f"/api/oversight/reviews/{first}", json={
        "justified": True, "note": "fine"}).status_code == 403


def test_sample_is_drawn_from_the_month_only(services: Services) -> None:
    _searches(services, "det.b", [1.0 + i for i in range(50)])  # Feb 28 back to Jan 10

    def ids(start: datetime, end: datetime) -> set[int]:
        with services.sessions() as s:
            return set(s.scalars(select(AuditEvent.id).where(AuditEvent.at >= start,
                                                             AuditEvent.at < end)))

    feb = ids(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    jan = ids(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    with services.sessions() as s:
        now = services.clock.now()
        rows = review.draw_sample(s, month="2026-02", size=10, now=now, rng=random.Random(1),
                                  actor=audit.SYSTEM)
        assert len(rows) == 10 and {r.audit_event_id for r in rows} <= feb
        everything = review.draw_sample(s, month="2026-01", size=100, now=now,
                                        rng=random.Random(1), actor=audit.SYSTEM)
        assert {r.audit_event_id for r in everything} == jan and len(jan) == 22
        s.commit()


def test_unusual_volume_alerts_supervisors(api_client: Any, services: Services) -> None:
    # Baseline: two searches a day for 30 days; today 25 (> 3 x 2 and >= 20).
    history = [d + 0.1 * k for d in range(1, 31) for k in range(2)]
    _searches(services, "det.busy", history + [0.01 * i for i in range(25)])
    # A heavy but usual user: 10 a day, 25 today (< 3 x 10): no alert.
    _searches(services, "det.steady", [d + 0.05 * k for d in range(1, 31) for k in range(10)]
              + [0.01 * i for i in range(25)])
    # Few searches, no history: under the minimum of 20.
    _searches(services, "det.new", [0.01 * i for i in range(5)])
    supervisor = api_client("supervisor")
    body = supervisor.get("/api/oversight/alerts").json()
    assert [(a["username"], a["searches"], a["baseline"]) for a in body["items"]] == [
        ("det.busy", 25, 2.0)]
    assert supervisor.get("/api/oversight/alerts").json()["count"] == 1  # one per user and day
    alert_id = body["items"][0]["id"]
    resp = supervisor.post(f"/api/oversight/alerts/{alert_id}/acknowledge")
    assert resp.status_code == 200 and resp.json()["acknowledged_by"] == supervisor.username
    assert api_client("auditor").get("/api/oversight/alerts",
                                     params={"open_only": True}).json()["count"] == 0
    assert api_client("detective").get("/api/oversight/alerts").status_code == 403


def test_scheduler_samples_last_month_and_checks_volume(services: Services) -> None:
    _searches(services, "det.c", [1.0 + i for i in range(15)] + [0.01 * i for i in range(30)])
    sched = OversightScheduler(sessions=services.sessions, settings=services.settings.oversight,
                               clock=services.clock, rng=random.Random(7))
    sched.run_once()
    sched.run_once()  # idempotent
    with services.sessions() as s:
        assert s.scalar(select(SearchReview.id).where(SearchReview.month == "2026-02"))
        assert len(s.scalars(select(SearchReview)).all()) == 10
        alerts = s.scalars(select(SearchVolumeAlert)).all()
    assert [a.username for a in alerts] == ["det.c"]
