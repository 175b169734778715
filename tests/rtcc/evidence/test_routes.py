"""The evidence API: start, follow, list per case, download as zip, public key, bad input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rtcc.evidence.verify import verify
from rtcc.models import AuditEvent
from rtcc.runtime.services import Services
from tests.support.evidence import Recorded

BODY = {"case_number": "CASE-2026-0042", "reason": "armed robbery, suspect vehicle",
        "legal_authority": "warrant 26-SW-118", "pre_s": 3, "post_s": 3}


def test_export_a_hit_follow_it_and_download_the_zip(
    api_client: Any, services: Services, recorded: Recorded, tmp_path: Path
) -> None:
    dave = api_client("detective")
    resp = dave.post("/api/evidence", json={**BODY, "hit_id": recorded.hit_id})
    assert resp.status_code == 202, resp.text
    started = resp.json()
    assert started["cameras"] == ["cam1"] and started["requested_by"] == dave.username
    got = dave.get(f"/api/evidence/{started['id']}").json()  # built in the background
    assert got["status"] == "done" and got["progress"] == 1.0 and got["files"] >= 7
    listed = dave.get("/api/evidence", params={"case_number": "CASE-2026-0042"}).json()
    assert [x["id"] for x in listed["items"]] == [started["id"]]
    assert dave.get("/api/evidence", params={"case_number": "OTHER"}).json()["count"] == 0

    resp = dave.get(got["download_url"])
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    path = tmp_path / "dl.zip"
    path.write_bytes(resp.content)
    report = verify(path)
    assert report.ok, report.problems
    assert report.custody_entries == 2  # created, then this download
    with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
        top = zf.namelist()[0].split("/")[0]
        log = [json.loads(x) for x in zf.read(f"{top}/custody/log.jsonl").splitlines()]
        key_text = zf.read(f"{top}/key.pub").decode()
    assert [(e["event"], e["by"]) for e in log] == [("created", dave.username),
                                                     ("downloaded", dave.username)]
    published = api_client(None).get("/api/evidence/public-key").json()
    assert published["file"] == key_text and published["key_id"] in key_text
    assert verify(path, public_key=published["file"]).ok
    with services.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(
            AuditEvent.target == f"evidence:{started['id']}").order_by(AuditEvent.id)))
    assert actions == ["evidence.export", "evidence.download"]
    assert not list(services.settings.data_dir.glob(".download-*"))  # temp zip removed


def test_bad_requests_are_4xx_naming_the_problem(
    api_client: Any, services: Services, recorded: Recorded
) -> None:
    dave = api_client("detective")
    resp = dave.post("/api/evidence", json={
        **BODY, "cameras": ["cam1"], "start": "2026-03-01T11:00:00Z",
        "end": "2026-03-01T11:10:00Z"})
    assert resp.status_code == 422
    assert resp.json()["error"] == "invalid_window" and resp.json()["field"] == "window"
    assert "window 2026-03-01T11:00:00+00:00 to 2026-03-01T11:10:00+00:00" in resp.json()["detail"]
    resp = dave.post("/api/evidence", json={**BODY, "hit_id": 1, "read_id": 1})
    assert resp.status_code == 422 and "exactly one of" in resp.json()["detail"]
    resp = dave.post("/api/evidence", json={**BODY, "hit_id": 999})
    assert resp.status_code == 404
    assert dave.get("/api/evidence/999").status_code == 404
    olivia = api_client("officer")
    resp = olivia.post("/api/evidence", json={**BODY, "hit_id": recorded.hit_id})
    assert resp.status_code == 403
    assert olivia.get("/api/evidence").status_code == 403


def test_an_export_over_the_limit_is_refused_with_its_size(
    api_client: Any, services: Services, recorded: Recorded
) -> None:
    from web.app import create_app

    small = services.settings.model_copy(update={
        "evidence": services.settings.evidence.model_copy(update={"max_bytes": 20_000})})
    app = create_app(services.__class__(**{**services.__dict__, "settings": small}))
    dave = api_client("detective", app=app)
    resp = dave.post("/api/evidence", json={
        **BODY, "cameras": ["cam1"], "start": "2026-03-01T12:00:00Z",
        "end": "2026-03-01T12:00:20Z"})
    assert resp.status_code == 413
    body = resp.json()
    assert body["error"] == "export_too_large" and body["limit"] == 20_000
    assert body["bytes"] > 20_000 and "MB, over the limit" in body["detail"]


def test_an_export_is_seen_by_its_requester_and_supervisors_only(
    api_client: Any, services: Services, recorded: Recorded
) -> None:
    """A package can hold restricted-list hits its requester saw: another detective, or an
    officer limited to other cameras, gets 404 on it, exactly as for one that does not exist."""
    dave = api_client("detective")
    started = dave.post("/api/evidence", json={**BODY, "hit_id": recorded.hit_id}).json()
    export_id = started["id"]
    other = api_client("detective")
    assert other.get(f"/api/evidence/{export_id}").status_code == 404
    assert other.get(f"/api/evidence/{export_id}/download").status_code == 404
    assert other.post(f"/api/evidence/{export_id}/cancel").status_code == 404
    assert other.get("/api/evidence").json()["count"] == 0
    sue = api_client("supervisor")
    assert sue.get(f"/api/evidence/{export_id}").status_code == 200
    assert [x["id"] for x in sue.get("/api/evidence").json()["items"]] == [export_id]
    assert dave.get(f"/api/evidence/{export_id}/download").status_code == 200
    with services.sessions() as s:
        downloads = list(s.scalars(select(AuditEvent.username).where(
            AuditEvent.action == "evidence.download",
            AuditEvent.target == f"evidence:{export_id}")))
    assert downloads == [dave.username]  # the refused attempts left no download record
