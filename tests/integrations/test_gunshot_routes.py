"""``POST /api/integrations/gunshot``: signed alerts stored as versions and pushed to consoles;
unsigned, badly signed, stale and replayed requests refused with nothing stored."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from sqlalchemy import func, select

from rtcc.models import (
    AuditEvent,
    GunshotAlert,
    GunshotBookmark,
    GunshotOutcome,
    LegalHold,
    SignatureSeen,
)
from rtcc.runtime.services import Services, build_services
from tests.support.integration_data import (
    SPOT,
    add_read,
    alert_body,
    cameras_around_spot,
    encode,
    signed,
)

URL = "/api/integrations/gunshot"


def post(client: Any, services: Services, body: bytes, *, skew_s: float = 0,
         **kw: Any) -> Any:
    ts = int(services.clock.now().timestamp() + skew_s)
    return client.post(URL, content=body, headers=signed(body, timestamp=ts, **kw))


def count(services: Services, model: Any) -> int:
    with services.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_signed_alert_is_stored_and_reaches_a_console_within_a_second(
    api_client: Any, services: Services
) -> None:
    cameras_around_spot(services)
    provider = api_client(None)
    officer = api_client("officer", bearer=True)
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    with officer.websocket_connect("/ws/events") as ws:
        assert ws.receive_json()["type"] == "hello"
        reader = threading.Thread(target=lambda: received.put(ws.receive_json()), daemon=True)
        reader.start()
        t0 = time.monotonic()
        resp = post(provider, services, encode(alert_body()))
        assert resp.status_code == 201, resp.text
        event = received.get(timeout=1.0)
        took = time.monotonic() - t0
    assert took < 1.0
    assert event["type"] == "gunshot"
    assert event["alert_id"] == "SST-1001" and event["version"] == 1
    assert event["alert_type"] == "gunfire" and event["rounds"] == 4
    # Covering: the camera facing the spot and the one east of it; not the one facing away,
    # not the one outside the radius.
    assert [c["camera_id"] for c in event["covering"]] == ["north-cam", "east-cam"]
    assert resp.json()["covering"] == event["covering"]
    with services.sessions() as s:
        row = s.scalars(select(GunshotAlert)).one()
        marks = s.scalars(select(GunshotBookmark).order_by(GunshotBookmark.distance_m)).all()
    assert (row.source, row.lat, row.lon, row.address) == ("shotspotter", SPOT.lat, SPOT.lon,
                                                           "100 Main St")
    assert [m.camera_id for m in marks] == ["north-cam", "east-cam"]
    # Recordings bookmarked from 2 minutes before to 5 minutes after the shots.
    assert marks[0].start_at.isoformat() == "2026-03-01T11:57:30+00:00"
    assert marks[0].end_at.isoformat() == "2026-03-01T12:04:30+00:00"
    # ...and held from retention for bookmark_hold_days, visible as ordinary legal holds.
    with services.sessions() as s:
        holds = s.scalars(select(LegalHold).order_by(LegalHold.id)).all()
    assert [(h.data_class, h.camera_id, h.case_number, h.created_by) for h in holds] == [
        ("video", "north-cam", "gunshot:shotspotter:SST-1001", "system"),
        ("video", "east-cam", "gunshot:shotspotter:SST-1001", "system")]
    assert (holds[0].start_at, holds[0].end_at) == (marks[0].start_at, marks[0].end_at)
    assert holds[0].expires_at is not None
    assert holds[0].expires_at.isoformat() == "2026-05-30T12:00:00+00:00"  # 90 days


def test_update_of_the_same_id_keeps_every_version(api_client: Any, services: Services) -> None:
    cameras_around_spot(services)
    provider = api_client(None)
    assert post(provider, services, encode(alert_body())).status_code == 201
    services.clock.advance(30)  # type: ignore[attr-defined]
    update = alert_body(rounds=7, type="probable_gunfire", address="102 Main St")
    resp = post(provider, services, encode(update))
    assert resp.status_code == 201, resp.text
    assert resp.json()["version"] == 2
    detective = api_client("detective")
    detail = detective.get("/api/gunshots/shotspotter/SST-1001").json()
    assert [v["rounds"] for v in detail["versions"]] == [4, 7]
    assert [v["alert_type"] for v in detail["versions"]] == ["gunfire", "probable_gunfire"]
    assert detail["alert"]["version"] == 2 and detail["alert"]["address"] == "102 Main St"
    listed = detective.get("/api/gunshots").json()
    assert listed["count"] == 1 and listed["items"][0]["version"] == 2
    with services.sessions() as s:  # the same cameras are not bookmarked or held twice
        assert len(s.scalars(select(GunshotBookmark)).all()) == 2
        assert len(s.scalars(select(LegalHold)).all()) == 2


def test_unsigned_badly_signed_unknown_source_and_stale_alerts_are_refused(
    api_client: Any, services: Services
) -> None:
    provider = api_client(None)
    body = encode(alert_body())
    unsigned = provider.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert "missing" in unsigned.json()["detail"]
    wrong_secret = post(provider, services, body, secret="not-the-secret-at-all")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "bad_signature"
    unknown = post(provider, services, body, source="somebody-else")
    assert unknown.status_code == 401 and "unknown source" in unknown.json()["detail"]
    ts = int(services.clock.now().timestamp())
    tampered = provider.post(URL, content=body.replace(b"4", b"5"),
                             headers=signed(body, timestamp=ts))
    assert tampered.status_code == 401
    for skew in (301, -301):
        stale = post(provider, services, body, skew_s=skew)
        assert stale.status_code == 401 and stale.json()["error"] == "replay", skew
    assert post(provider, services, body, skew_s=299).status_code == 201
    assert count(services, GunshotAlert) == 1


def test_replayed_signature_is_refused_even_after_a_restart(
    api_client: Any, services: Services, make_settings: Any
) -> None:
    provider = api_client(None)
    body = encode(alert_body())
    ts = int(services.clock.now().timestamp())
    headers = signed(body, timestamp=ts)
    assert provider.post(URL, content=body, headers=headers).status_code == 201
    again = provider.post(URL, content=body, headers=headers)
    assert again.status_code == 401 and again.json()["error"] == "replay"
    # A new process on the same database still knows the signature.
    from web.app import create_app

    restarted = build_services(services.settings, clock=services.clock)
    try:
        other = api_client(None, app=create_app(restarted))
        replay = other.post(URL, content=body, headers=headers)
        assert replay.status_code == 401 and replay.json()["error"] == "replay"
    finally:
        restarted.engine.dispose()
    assert count(services, GunshotAlert) == 1
    assert count(services, SignatureSeen) == 1


def test_bad_body_is_422_naming_the_field_and_stores_nothing(
    api_client: Any, services: Services
) -> None:
    provider = api_client(None)
    cases = {
        "latitude": alert_body(latitude=123.0),
        "type": alert_body(type="thunder"),
        "detected_at": alert_body(detected_at="2026-03-01 11:59"),  # no timezone
        "id": alert_body(alert_id=""),
        "rounds": alert_body(rounds=-1),
    }
    for field, body in cases.items():
        resp = post(provider, services, encode(body))
        assert resp.status_code == 422, (field, resp.text)
        assert resp.json()["field"] == field, resp.json()
    missing = {k: v for k, v in alert_body().items() if k != "longitude"}
    resp = post(provider, services, encode(missing))
    assert resp.status_code == 422 and resp.json()["field"] == "longitude"
    resp = post(provider, services, b"not json")
    assert resp.status_code == 422 and resp.json()["field"] == "body"
    assert count(services, GunshotAlert) == 0
    assert count(services, SignatureSeen) == 0
    assert count(services, GunshotBookmark) == 0


def test_user_credentials_are_not_accepted_on_the_signed_route(
    api_client: Any, services: Services
) -> None:
    supervisor = api_client("supervisor", bearer=True)
    body = encode(alert_body())
    resp = supervisor.post(URL, content=body,
                           headers=signed(body, timestamp=int(services.clock.now().timestamp())))
    assert resp.status_code == 403
    assert count(services, GunshotAlert) == 0


def test_reads_near_are_a_count_until_a_purpose_is_given(
    api_client: Any, services: Services
) -> None:
    from datetime import timedelta

    from rtcc.integrations.geometry import destination

    cameras_around_spot(services)
    detected = services.clock.now() - timedelta(seconds=30)
    add_read(services, "north-cam", "NEAR001", detected + timedelta(minutes=2))
    add_read(services, "away-cam", "NEAR002", detected - timedelta(minutes=5))
    add_read(services, "north-cam", "LATE001", detected + timedelta(hours=1))  # outside window
    add_read(services, "far-cam", "FAR0001", detected)  # 900 m away, outside 500 m
    # A mobile camera's read counts where the camera was, not where it is now.
    add_read(services, "far-cam", "MOBILE1", detected, position=destination(SPOT, 0, 100))
    provider = api_client(None)
    assert post(provider, services, encode(alert_body())).status_code == 201
    detective = api_client("detective")
    detail = detective.get("/api/gunshots/shotspotter/SST-1001")
    assert detail.status_code == 200
    assert detail.json()["reads_near"]["count"] == 3
    assert "NEAR" not in detail.text and "MOBILE1" not in detail.text
    url = "/api/gunshots/shotspotter/SST-1001/reads"
    no_purpose = detective.get(url)
    assert no_purpose.status_code == 422 and no_purpose.json()["field"] == "purpose"
    why = {"purpose": "investigation", "reason": "shots fired investigation"}
    no_case = detective.get(url, params=why)
    assert no_case.status_code == 422 and no_case.json()["field"] == "case_number"
    prohibited = detective.get(url, params={**why, "purpose": "lawful_protest",
                                            "case_number": "C-77"})
    assert prohibited.status_code == 403  # the same purpose policy as any search
    officer = api_client("officer")
    assert officer.get(url, params={**why, "case_number": "C-77"}).status_code == 403
    resp = detective.get(url, params={**why, "case_number": "C-77"})
    assert resp.status_code == 200, resp.text
    assert sorted(r["plate"] for r in resp.json()["items"]) == ["MOBILE1", "NEAR001", "NEAR002"]
    with services.sessions() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "reads.search",
                                                AuditEvent.outcome == "success")).one()
    assert ev.case_number == "C-77" and ev.username == detective.username
    assert ev.details is not None and ev.details["results"] == 3
    assert ev.details["purpose"] == "investigation"


def test_outcome_is_recorded_and_audited(api_client: Any, services: Services) -> None:
    provider = api_client(None)
    assert post(provider, services, encode(alert_body())).status_code == 201
    detective = api_client("detective")
    url = "/api/gunshots/shotspotter/SST-1001/outcome"
    resp = detective.post(url, json={"evidence_found": True, "case_number": "C-2026-1",
                                     "note": "casings recovered"})
    assert resp.status_code == 201, resp.text
    bad = detective.post(url, json={"case_number": "C-1"}).json()
    assert bad["fields"][0]["field"] == "evidence_found"
    assert detective.post("/api/gunshots/shotspotter/NOPE/outcome",
                          json={"evidence_found": False}).status_code == 404
    assert api_client("officer").post(url, json={"evidence_found": False}).status_code == 403
    detail = detective.get("/api/gunshots/shotspotter/SST-1001").json()
    assert detail["outcomes"] == [{
        "evidence_found": True, "case_number": "C-2026-1", "note": "casings recovered",
        "recorded_by": detective.username, "recorded_at": "2026-03-01T12:00:00+00:00",
    }]
    with services.sessions() as s:
        assert s.scalars(select(GunshotOutcome)).one().evidence_found is True
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "gunshot.outcome")).one()
    assert ev.case_number == "C-2026-1"
