"""``/api/admin/cameras``: admins list, create, change and disable cameras; nobody else may."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rtcc.models import AuditEvent, Camera


def test_admin_creates_changes_and_disables(api_client: Any, api_app: Any) -> None:
    admin = api_client("admin")
    body = {"id": "gate-9", "url": "rtsp://user:secret@10.0.0.9/s1",
            "detect_url": "rtsp://user:subsecret@10.0.0.9/s2", "lat": 40.1, "lon": -73.2,
            "heading": 180, "lpr": False, "record": True, "site": "north", "pin_node": "trailer-1"}
    resp = admin.post("/api/admin/cameras", json=body)
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["url"] == "rtsp://***@10.0.0.9/s1" and "secret" not in resp.text
    assert out["detect_url"] == "rtsp://***@10.0.0.9/s2"
    assert (out["name"], out["origin"], out["pin_node"], out["lpr"]) == (
        "gate-9", "api", "trailer-1", False)
    assert admin.post("/api/admin/cameras", json=body).status_code == 409

    resp = admin.patch("/api/admin/cameras/gate-9", json={"name": "Gate nine", "heading": 90})
    assert resp.status_code == 200 and resp.json()["heading"] == 90
    assert admin.post("/api/admin/cameras/gate-9/disable").json()["enabled"] is False
    listed = admin.get("/api/admin/cameras").json()
    assert [c["id"] for c in listed] == ["gate-9"] and listed[0]["name"] == "Gate nine"
    assert "secret" not in repr(listed)  # neither stream's credentials

    svc = api_app.state.services
    with svc.sessions() as s:
        cam = s.get(Camera, "gate-9")
        assert cam.url == body["url"] and cam.enabled is False  # stored in full, shown redacted
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.target == "gate-9")))
    assert actions == ["camera.create", "camera.update", "camera.disable"]


def test_bad_input_names_the_field(api_client: Any) -> None:
    admin = api_client("admin")
    cases = [
        ({"id": "bad id", "url": "/v.mp4"}, "id"),
        ({"id": "ok", "url": "/v.mp4", "lat": 91, "lon": 0}, "lat"),
        ({"id": "ok", "url": "/v.mp4", "colour": "red"}, "colour"),
        ({"id": "ok"}, "url"),
        ({"id": "ok", "url": "/v\u0000.mp4"}, "url"),
    ]
    for body, field in cases:
        resp = admin.post("/api/admin/cameras", json=body)
        assert resp.status_code == 422, resp.text
        assert field in resp.text
    assert admin.patch("/api/admin/cameras/none", json={"name": "x"}).status_code == 404
    admin.post("/api/admin/cameras", json={"id": "ok", "url": "/v.mp4"})
    resp = admin.patch("/api/admin/cameras/ok", json={"lat": 10})
    assert resp.status_code == 422 and "lat" in resp.text


def test_only_admins_manage_cameras(api_client: Any) -> None:
    for role in ("officer", "supervisor", "detective", "auditor"):
        client = api_client(role)
        assert client.get("/api/admin/cameras").status_code == 403
        assert client.post("/api/admin/cameras", json={"id": "x", "url": "/v"}).status_code == 403
    assert api_client(None).get("/api/admin/cameras").status_code == 401
