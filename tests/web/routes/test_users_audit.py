"""The admin users API and the auditors' audit log (filters, CSV export, its own audit)."""

from __future__ import annotations

import csv
import io
from typing import Any

from rtcc.runtime.services import Services


def test_admin_manages_users_and_tokens(api_client: Any) -> None:
    admin = api_client("admin")
    resp = admin.post("/api/users", json={"username": "ofc1", "roles": ["officer"],
                                          "password": "x7-north-beat", "cameras": ["north"]})
    assert resp.status_code == 201, resp.text
    assert admin.post("/api/users", json={"username": "ofc1", "roles": ["officer"]}
                      ).status_code == 409
    bad = admin.post("/api/users", json={"username": "u2", "roles": ["king"]})
    assert bad.status_code == 422 and "king" in bad.json()["detail"]
    short = admin.post("/api/users", json={"username": "u3", "roles": ["officer"],
                                           "password": "short"})
    assert short.status_code == 422 and short.json()["field"] == "password"
    # Tokens only for yourself or a service account (no password): never to impersonate ofc1.
    assert admin.post("/api/users/ofc1/tokens", json={"name": "mdt"}).status_code == 403
    assert admin.post("/api/users", json={"username": "mdt-north", "roles": ["officer"],
                                          "cameras": ["north"]}).status_code == 201
    issued = admin.post("/api/users/mdt-north/tokens", json={"name": "mdt"}).json()
    bearer = api_client(None)
    bearer.headers["Authorization"] = f"Bearer {issued['token']}"
    assert bearer.get("/api/auth/me").json()["cameras"] == ["north"]
    assert admin.delete(f"/api/tokens/{issued['id']}").status_code == 200
    assert bearer.get("/api/auth/me").status_code == 401
    patched = admin.patch("/api/users/ofc1", json={"roles": ["detective"], "cameras": None})
    assert patched.json()["roles"] == ["detective"] and patched.json()["cameras"] is None


def test_last_admin_cannot_be_disabled(api_client: Any) -> None:
    admin = api_client("admin")
    resp = admin.patch(f"/api/users/{admin.username}", json={"disabled": True})
    assert resp.status_code == 409


def test_audit_log_filters_export_and_self_audit(api_client: Any, services: Services) -> None:
    detective = api_client("detective")
    detective.get("/api/reads", params={"purpose": "investigation", "case_number": "C-7",
                                        "reason": "burglary pattern check"})
    auditor = api_client("auditor")
    resp = auditor.get("/api/audit", params={"case_number": "C-7"})
    assert resp.status_code == 200
    (item,) = resp.json()["items"]
    assert item["action"] == "reads.search" and item["username"] == detective.username
    by_user = auditor.get("/api/audit", params={"username": detective.username, "action": "auth"})
    assert [i["action"] for i in by_user.json()["items"]] == ["auth.login"]
    export = auditor.get("/api/audit/export.csv", params={"action": "reads"})
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["case_number"] for r in rows] == ["C-7"]
    views = auditor.get("/api/audit", params={"action": "audit"}).json()["items"]
    assert {v["action"] for v in views} >= {"audit.view", "audit.export"}
    assert auditor.get("/api/audit/verify").json()["ok"] is True
    assert auditor.get("/api/audit", params={"limit": 1001}).status_code == 422
