"""Manual hotlist entries need a justification, a case number, an owner and an expiry (default
the list's days, never later); owners are reminded; expired entries stop matching at once and
appear in the transparency report."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from rtcc.models import AuditEvent, HotlistEntry
from rtcc.runtime.oversight import OversightScheduler
from rtcc.runtime.services import Services
from rtcc.transparency.report import build

MANUAL = {"reason": "stolen vehicle report", "case_number": "K-7"}


def _list(sup: Any, **fields: Any) -> int:
    resp = sup.post("/api/hotlists", json={"name": "manual", **fields})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def test_manual_entry_needs_justification_case_and_gets_owner_and_expiry(
    api_client: Any, services: Services,
) -> None:
    sup = api_client("supervisor")
    hl = _list(sup)
    resp = sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "ABC123", "reason": "bolo"})
    assert resp.status_code == 422
    assert {f["field"] for f in resp.json()["fields"]} == {"reason", "case_number"}
    resp = sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "ABC123", **MANUAL})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["owner"] == sup.username
    now = services.clock.now()
    assert datetime.fromisoformat(body["expires_at"]) == now + timedelta(days=30)
    other = sup.post(f"/api/hotlists/{hl}/entries",
                     json={"plate": "XYZ789", "owner": "det.smith", **MANUAL}).json()
    assert other["owner"] == "det.smith"
    with services.sessions() as s:
        details = s.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "hotlist.entry.add")).all()
    assert [d["owner"] for d in details] == [sup.username, "det.smith"]
    assert details[0]["reason"] == "stolen vehicle report"


def test_expiry_is_limited_per_list(api_client: Any, services: Services) -> None:
    sup = api_client("supervisor")
    hl = _list(sup, manual_expiry_days=7)
    assert sup.get(f"/api/hotlists/{hl}").json()["manual_expiry_days"] == 7
    now = services.clock.now()
    entry = sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "AAA111", **MANUAL}).json()
    assert datetime.fromisoformat(entry["expires_at"]) == now + timedelta(days=7)
    late = (now + timedelta(days=8)).isoformat()
    resp = sup.post(f"/api/hotlists/{hl}/entries",
                    json={"plate": "BBB222", "expires_at": late, **MANUAL})
    assert resp.status_code == 422 and resp.json()["field"] == "expires_at"
    past = (now - timedelta(minutes=1)).isoformat()
    resp = sup.post(f"/api/hotlists/{hl}/entries",
                    json={"plate": "BBB222", "expires_at": past, **MANUAL})
    assert resp.status_code == 422 and "future" in resp.json()["detail"]
    # Renewing: within the limit only, and never cleared.
    path = f"/api/hotlists/entries/{entry['id']}"
    assert sup.patch(path, json={"expires_at": late}).status_code == 422
    assert sup.patch(path, json={"expires_at": None}).status_code == 422
    soon = (now + timedelta(days=6)).isoformat()
    assert sup.patch(path, json={"expires_at": soon}).status_code == 200
    assert sup.patch(f"/api/hotlists/{hl}", json={"manual_expiry_days": 0}).status_code == 422


def test_expired_entry_stops_matching_at_once(api_client: Any, services: Services) -> None:
    sup = api_client("supervisor")
    hl = _list(sup)
    soon = (services.clock.now() + timedelta(hours=1)).isoformat()
    sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "EXP999", "expires_at": soon,
                                                  **MANUAL})
    assert services.matcher.match("EXP999", state=None, now=services.clock.now())
    later = services.clock.now() + timedelta(hours=1)
    assert not services.matcher.match("EXP999", state=None, now=later)  # no rebuild needed


def test_owners_are_reminded_once(api_client: Any, services: Services) -> None:
    sup = api_client("supervisor")
    hl = _list(sup)
    now = services.clock.now()
    for plate, days in (("SOON1", 2), ("LATER1", 20)):
        sup.post(f"/api/hotlists/{hl}/entries", json={
            "plate": plate, "expires_at": (now + timedelta(days=days)).isoformat(), **MANUAL})
    expiring = sup.get("/api/oversight/expiring-entries").json()
    assert [e["plate"] for e in expiring["items"]] == ["SOON1"]
    sched = OversightScheduler(sessions=services.sessions, settings=services.settings.oversight,
                               clock=services.clock, rng=random.Random(1),
                               remind_within=timedelta(days=3))
    sched.run_once()
    sched.run_once()
    with services.sessions() as s:
        reminded = s.scalars(select(HotlistEntry.plate).where(
            HotlistEntry.reminded_at.is_not(None))).all()
        rows = s.scalars(select(AuditEvent.target).where(
            AuditEvent.action == "hotlist.entry.remind")).all()
    assert reminded == ["SOON1"] and len(rows) == 1


def test_expired_entries_appear_in_the_report(api_client: Any, services: Services) -> None:
    sup = api_client("supervisor")
    hl = _list(sup)
    now = services.clock.now()  # 2026-03-01
    for plate, hours in (("E1", 1), ("E2", 5), ("E3", 24 * 29)):
        sup.post(f"/api/hotlists/{hl}/entries", json={
            "plate": plate, "expires_at": (now + timedelta(hours=hours)).isoformat(), **MANUAL})
    with services.sessions() as s:
        report = build(s, year=2026, settings=services.settings,
                       now=datetime(2026, 3, 1, 18, tzinfo=UTC))
    lpr = report["technologies"][0]["figures"]
    assert lpr["hotlist_manual_entries"]["value"] == 3
    assert lpr["hotlist_entries_expired"]["value"] == 2  # E1, E2 by 18:00; E3 still live
