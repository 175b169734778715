"""Purpose-gated plate search: reason and case number required, wildcards, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from rtcc.models import AuditEvent, Camera, PlateRead
from rtcc.runtime.services import Services

PURPOSE = {"purpose": "investigation", "reason": "stolen vehicle follow-up",
           "case_number": "2026-00042"}


def _seed(services: Services) -> None:
    now = services.clock.now()
    with services.sessions() as s:
        for cam in ("north", "south"):
            s.add(Camera(id=cam, name=cam, created_at=now, updated_at=now))
        s.flush()
        for i, (cam, plate) in enumerate(
            [("north", "LS15EBC"), ("south", "LS15EBD"), ("north", "AB12CDE"), ("south", "XLS15")]
        ):
            at = now - timedelta(hours=i)
            s.add(PlateRead(camera_id=cam, track_key=f"t{i}", plate=plate, confidence=0.9,
                            observed_at=at, last_seen_at=at, created_at=now, updated_at=now))
        s.commit()


def test_missing_purpose_is_422_naming_fields(api_client: Any) -> None:
    client = api_client("detective")
    resp = client.get("/api/reads", params={"plate": "LS15EBC", "purpose": "investigation"})
    assert resp.status_code == 422
    body = resp.json()
    assert {f["field"] for f in body["fields"]} == {"reason", "case_number"}
    short = client.get("/api/reads", params={"plate": "X1", "reason": "x", "case_number": "C1",
                                             "purpose": "investigation"})
    assert short.status_code == 422 and "at least 10" in short.json()["detail"]


def test_officer_and_auditor_cannot_search(api_client: Any) -> None:
    for role in ("officer", "auditor", "admin"):
        assert api_client(role).get("/api/reads", params=PURPOSE).status_code == 403


def test_wildcards_camera_and_time(api_client: Any, services: Services) -> None:
    _seed(services)
    client = api_client("detective")

    def plates(**params: Any) -> list[str]:
        resp = client.get("/api/reads", params={**PURPOSE, **params})
        assert resp.status_code == 200, resp.text
        return sorted(i["plate"] for i in resp.json()["items"])

    assert plates(plate="ls15 ebc") == ["LS15EBC"]
    assert plates(plate="LS15EB?") == ["LS15EBC", "LS15EBD"]
    assert plates(plate="*LS15*") == ["LS15EBC", "LS15EBD", "XLS15"]
    assert plates(plate="LS15*", camera_id="south") == ["LS15EBD"]
    start = (services.clock.now() - timedelta(minutes=90)).isoformat()
    assert plates(start=start) == ["LS15EBC", "LS15EBD"]
    bad = client.get("/api/reads", params={**PURPOSE, "plate": "--"})
    assert bad.status_code == 422 and bad.json()["field"] == "plate"
    assert client.get("/api/reads", params={**PURPOSE, "limit": 501}).status_code == 422


def test_search_and_view_are_audited(api_client: Any, services: Services) -> None:
    _seed(services)
    client = api_client("supervisor")
    items = client.get("/api/reads", params={**PURPOSE, "plate": "LS15*"}).json()["items"]
    assert client.get(f"/api/reads/{items[0]['id']}").status_code == 200
    assert client.get("/api/reads/999999").status_code == 404
    with services.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action.like("reads.%"))
                           .order_by(AuditEvent.id)).all()
    search, view, missing = events
    assert search.username == client.username and search.role == "supervisor"
    assert search.case_number == "2026-00042"
    assert search.details["reason"] == PURPOSE["reason"]
    assert search.details["query"]["plate"] == "LS15*" and search.details["results"] == 2
    assert (view.target, view.outcome) == (f"read:{items[0]['id']}", "success")
    assert missing.outcome == "not_found"


def test_csv_export_needs_a_purpose_and_is_audited(api_client: Any, services: Services) -> None:
    _seed(services)
    client = api_client("detective")
    assert client.get("/api/reads/export.csv", params={"plate": "LS15*"}).status_code == 422
    assert api_client("officer").get("/api/reads/export.csv", params=PURPOSE).status_code == 403
    resp = client.get("/api/reads/export.csv", params={**PURPOSE, "plate": "LS15EB?"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    lines = resp.text.strip().splitlines()
    assert lines[0].startswith("id,plate,camera_id,observed_at")
    assert sorted(line.split(",")[1] for line in lines[1:]) == ["LS15EBC", "LS15EBD"]
    with services.sessions() as s:
        export = s.scalars(select(AuditEvent).where(AuditEvent.action == "reads.export")).one()
    assert export.case_number == PURPOSE["case_number"] and export.details["results"] == 2


def test_recent_reads_follow_the_officers_cameras(api_client: Any, services: Services) -> None:
    _seed(services)
    everyone = api_client("detective").get("/api/reads/recent", params={"limit": 3})
    assert [i["plate"] for i in everyone.json()["items"]] == ["LS15EBC", "LS15EBD", "AB12CDE"]
    north = api_client("officer", cameras=["north"]).get("/api/reads/recent")
    assert {i["camera_id"] for i in north.json()["items"]} == {"north"}
    assert api_client("auditor").get("/api/reads/recent").status_code == 403
