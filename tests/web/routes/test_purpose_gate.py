"""The purpose gate has no side doors (issue 14): read details, the live feed and the hit list
show the live window; older data needs a stated purpose like a search, and every look is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from rtcc.models import AuditEvent, Camera, Hit, Hotlist, PlateRead
from rtcc.runtime.services import Services

PURPOSE = {"purpose": "investigation", "reason": "stolen vehicle follow-up",
           "case_number": "2026-00042"}


def _seed(services: Services) -> dict[str, int]:
    now = services.clock.now()
    ids: dict[str, int] = {}
    with services.sessions() as s:
        s.add(Camera(id="north", name="north", created_at=now, updated_at=now))
        stolen = Hotlist(name="stolen", created_at=now, updated_at=now)
        s.add(stolen)
        s.flush()
        for name, age in (("live", timedelta(hours=1)), ("old", timedelta(days=3))):
            at = now - age
            read = PlateRead(camera_id="north", track_key=name, plate=f"AB{len(name)}CDE",
                             confidence=0.9, observed_at=at, last_seen_at=at, created_at=at,
                             updated_at=at)
            s.add(read)
            s.flush()
            ids[name] = read.id
        for name, age, status in (("hit_live", timedelta(hours=2), "acknowledged"),
                                  ("hit_old", timedelta(days=400), "rejected"),
                                  ("hit_waiting", timedelta(days=2), "new")):
            at = now - age
            hit = Hit(camera_id="north", plate="AB3CDE", entry_plate="AB3CDE",
                      hotlist_id=stolen.id, hotlist_name="stolen", status=status,
                      observed_at=at, last_seen_at=at, created_at=at, updated_at=at)
            s.add(hit)
            s.flush()
            ids[name] = hit.id
        s.commit()
    return ids


def _last(services: Services, action: str) -> AuditEvent:
    with services.sessions() as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                        .order_by(AuditEvent.id.desc())).first()
        assert row is not None, action
        s.expunge(row)
        return row


def test_read_detail_outside_the_live_window_needs_a_purpose(
    api_client: Any, services: Services
) -> None:
    ids = _seed(services)
    client = api_client("detective")
    assert client.get(f"/api/reads/{ids['live']}").status_code == 200
    assert _last(services, "reads.view").target == f"read:{ids['live']}"
    bare = client.get(f"/api/reads/{ids['old']}")
    assert bare.status_code == 422, bare.text
    assert bare.json()["field"] in {"purpose", "reason", "case_number"}, bare.text
    unexplained = client.get(f"/api/reads/{ids['old']}", params={"purpose": "investigation"})
    assert {f["field"] for f in unexplained.json()["fields"]} == {"reason", "case_number"}
    assert client.get("/api/reads/999999").status_code == 404
    prohibited = client.get(f"/api/reads/{ids['old']}",
                            params={**PURPOSE, "purpose": "lawful_protest"})
    assert prohibited.status_code in (403, 422), prohibited.text
    ok = client.get(f"/api/reads/{ids['old']}", params=PURPOSE)
    assert ok.status_code == 200, ok.text
    row = _last(services, "reads.view")
    assert row.case_number == "2026-00042"
    assert row.details is not None and row.details["reason"] == PURPOSE["reason"]
    assert row.details["purpose"] == "investigation"
    assert client.get("/api/reads/999999", params=PURPOSE).status_code == 404


def test_live_feed_is_bounded_to_the_live_window_and_audited(
    api_client: Any, services: Services
) -> None:
    ids = _seed(services)
    resp = api_client("officer").get("/api/reads/recent", params={"limit": 200})
    assert resp.status_code == 200
    assert [i["id"] for i in resp.json()["items"]] == [ids["live"]]
    row = _last(services, "view.reads.live")
    assert row.details is not None and row.details["items"] == [
        {"read": ids["live"], "plate": "AB4CDE"}]


def test_hit_list_does_not_reach_past_the_live_window(api_client: Any, services: Services
                                                      ) -> None:
    ids = _seed(services)
    client = api_client("detective")
    resp = client.get("/api/hits", params={"start": "2000-01-01T00:00:00Z"})
    assert resp.status_code == 200
    shown = {i["id"] for i in resp.json()["items"]}
    assert shown == {ids["hit_live"], ids["hit_waiting"]}  # new hits stay until handled
    assert ids["hit_old"] not in {i["id"] for i in client.get(
        "/api/hits", params={"status": "rejected"}).json()["items"]}
