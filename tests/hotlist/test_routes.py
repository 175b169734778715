"""The hits and hotlists API, through the real app, auth and websocket."""

from __future__ import annotations

from typing import Any

from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from tests.support.hotlists import add_read, read_message

CSV = b"plate,state,reason,case_number\nABC1234,CA,stolen,K-1\n!!!,,x,\n"
# Manual entries need a justification and a case number (hotlist.governance).
MANUAL = {"reason": "stolen vehicle report", "case_number": "K-7"}


def _setup_list(client: Any) -> int:
    resp = client.post(
        "/api/hotlists",
        json={
            "name": "stolen",
            "kind": "stolen_vehicle",
            "priority": 90,
            "colour": "#ff0000",
        },
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def test_upload_rejects_bad_file_then_imports_with_skip_bad(
    services: Services, api_client: Any
) -> None:
    sup = api_client("supervisor")
    _setup_list(sup)
    files = {"file": ("list.csv", CSV, "text/csv")}
    resp = sup.post("/api/hotlists/import", data={"name": "stolen"}, files=files)
    assert resp.status_code == 422
    body = resp.json()
    assert body["error"] == "hotlist_import_error" and body["errors"][0]["line"] == 3
    resp = sup.post(
        "/api/hotlists/import", data={"name": "stolen", "skip_bad": "true"}, files=files
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["added"] == 1 and resp.json()["skipped"][0]["line"] == 3
    listed = sup.get("/api/hotlists").json()["items"]
    assert [(h["name"], h["entries"], h["priority"]) for h in listed] == [("stolen", 1, 90)]
    entries = sup.get(f"/api/hotlists/{listed[0]['id']}/entries").json()["items"]
    assert entries[0]["plate"] == "ABC1234" and entries[0]["case_number"] == "K-1"


def test_officer_cannot_manage_lists(services: Services, api_client: Any) -> None:
    officer = api_client("officer")
    assert officer.get("/api/hotlists").status_code == 200
    assert officer.post("/api/hotlists", json={"name": "x"}).status_code == 403


def test_manual_entry_finds_past_reads_and_validates(services: Services, api_client: Any) -> None:
    sup = api_client("supervisor")
    hl = _setup_list(sup)
    add_read(services, "XYZ987")
    resp = sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "xyz 987", **MANUAL})
    assert resp.status_code == 201 and resp.json()["historical_hits"] == 1
    bad = sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "!!", **MANUAL})
    assert bad.status_code == 422 and "no letters" in bad.json()["detail"]
    hits = sup.get("/api/hits", params={"historical": True}).json()["items"]
    assert [h["plate"] for h in hits] == ["XYZ987"]
    entry_id = resp.json()["id"]
    assert sup.delete(f"/api/hotlists/entries/{entry_id}").status_code == 200
    assert services.matcher.match("XYZ987", state=None, now=services.clock.now()) == []


def test_hit_list_detail_and_workflow_over_websocket(services: Services, api_client: Any) -> None:
    sup = api_client("supervisor")
    hl = _setup_list(sup)
    sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "ABC1234", **MANUAL})
    officer = api_client("officer")
    with officer.websocket_connect("/ws/events") as ws:
        assert ws.receive_json()["type"] == "hello"
        Ingestor(services).handle(read_message(services, "A8C1234"))
        msg = ws.receive_json()
        while msg["type"] != "hit":
            msg = ws.receive_json()
        assert msg["hotlist"] == "stolen" and msg["priority"] == 90
        assert msg["match_type"] == "lattice" and msg["needs_confirmation"] is True
        assert msg["crop_url"] and msg["snapshot_url"] and msg["colour"] == "#ff0000"
        hit_id = msg["id"]
        resp = officer.post(f"/api/hits/{hit_id}/acknowledge")
        assert resp.status_code == 200, resp.text
        update = ws.receive_json()
        assert update["type"] == "hit_updated" and update["status"] == "acknowledged"
        assert update["status_by"] == officer.username
    refused = officer.post(f"/api/hits/{hit_id}/acknowledge")
    assert refused.status_code == 409 and refused.json()["error"] == "conflict"
    no_reason = officer.post(f"/api/hits/{hit_id}/reject", json={"reason": "bored"})
    assert no_reason.status_code == 422
    done = officer.post(f"/api/hits/{hit_id}/reject", json={"reason": "misread", "text": "8 vs B"})
    assert done.json()["status"] == "rejected" and done.json()["reject_reason"] == "misread"
    officer.post(f"/api/hits/{hit_id}/notes", json={"text": "checked the crop"})
    detail = officer.get(f"/api/hits/{hit_id}").json()
    assert detail["read"]["plate"] == "A8C1234" and detail["entry"]["case_number"] == "K-7"
    assert detail["list"]["name"] == "stolen"
    assert [h["action"] for h in detail["history"]] == ["acknowledge", "reject", "note"]
    listed = officer.get(
        "/api/hits", params={"status": "rejected", "camera_id": "cam1", "hotlist_id": hl}
    ).json()
    assert [h["id"] for h in listed["items"]] == [hit_id]
    assert officer.get("/api/hits", params={"status": "new"}).json()["items"] == []
    assert officer.get("/api/hits/999").status_code == 404


def test_restricted_list_hits_hidden_from_unassigned_officer(
    services: Services, api_client: Any
) -> None:
    sup = api_client("supervisor")
    resp = sup.post("/api/hotlists", json={"name": "intel", "restricted": True})
    hl = resp.json()["id"]
    sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "SEC123", **MANUAL})
    Ingestor(services).handle(read_message(services, "SEC123"))
    assert len(sup.get("/api/hits").json()["items"]) == 1
    stranger = api_client("officer")
    assert stranger.get("/api/hits").json()["items"] == []
    assigned = api_client("officer", hotlists=[hl])
    assert len(assigned.get("/api/hits").json()["items"]) == 1


def test_expired_entry_stops_hitting_and_ids_are_bounded(
    services: Services, api_client: Any
) -> None:
    from datetime import timedelta

    sup = api_client("supervisor")
    hl = _setup_list(sup)
    entry = sup.post(f"/api/hotlists/{hl}/entries", json={"plate": "EXP1234", **MANUAL}).json()
    ingest = Ingestor(services)
    assert services.matcher.match("EXP1234", state=None, now=services.clock.now())
    later = (services.clock.now() + timedelta(minutes=10)).isoformat()
    resp = sup.patch(f"/api/hotlists/entries/{entry['id']}", json={"expires_at": later})
    assert resp.status_code == 200 and resp.json()["expires_at"] is not None
    assert services.matcher.match("EXP1234", state=None, now=services.clock.now())
    services.clock.advance(minutes=20)  # type: ignore[attr-defined]  (sessions idle out at 30)
    assert not services.matcher.match("EXP1234", state=None, now=services.clock.now())
    now = services.clock.now().isoformat()
    assert sup.patch(f"/api/hotlists/entries/{entry['id']}", json={"expires_at": now}).is_success
    ingest.handle(read_message(services, "EXP1234"))
    assert sup.get("/api/hits").json()["items"] == []
    naive = sup.patch(
        f"/api/hotlists/entries/{entry['id']}", json={"expires_at": "2030-01-01T00:00"}
    )
    assert naive.status_code == 422
    assert api_client("officer").patch(
        f"/api/hotlists/entries/{entry['id']}", json={"expires_at": None}
    ).status_code == 403
    for path in (f"/api/hotlists/{2**70}", f"/api/hits/{2**70}", "/api/hotlists/0"):
        assert sup.get(path).status_code == 422, path
    assert sup.patch("/api/hotlists/entries/999999", json={"expires_at": None}).status_code == 404
    with services.sessions() as s:
        from sqlalchemy import select

        from rtcc.models import AuditEvent

        actions = s.scalars(select(AuditEvent.action)).all()
    assert actions.count("hotlist.entry.expire") == 2
