"""Bad input answers 4xx naming the field, never 500, and writes nothing (issue 14).

Extreme date-times (year 9999 at -14:00, year 1 at +14:00 overflow once converted to UTC),
integers beyond 64 bits, NUL characters (PostgreSQL refuses them) and camera ids that are not
one safe path component, on every route family that takes them, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from rtcc.models import AuditEvent, Camera, Hotlist, HotlistEntry, LegalHold
from rtcc.runtime.services import Services

LATE = "9999-12-31T23:00:00-14:00"
EARLY = "0001-01-01T01:00:00+14:00"
HUGE = str(2**63)
ENTRY = {"reason": "stolen on 1 May", "case_number": "C-77"}
PURPOSE = {"purpose": "investigation", "reason": "stolen vehicle follow-up",
           "case_number": "2026-00042"}


def _camera(services: Services, camera_id: str = "north") -> None:
    now = services.clock.now()
    with services.sessions() as s:
        s.add(Camera(id=camera_id, name=camera_id, created_at=now, updated_at=now))
        s.commit()


def _field_error(resp: Any, field: str) -> None:
    assert resp.status_code == 422, (resp.status_code, resp.text)
    fields = {f["field"] for f in resp.json().get("fields", [])} | {resp.json().get("field")}
    assert any(f and field in f for f in fields), resp.text


@pytest.mark.parametrize("when", [LATE, EARLY])
def test_extreme_dates_in_queries_are_422(api_client: Any, services: Services, when: str
                                          ) -> None:
    _camera(services)
    detective = api_client("detective", raise_server_exceptions=False)
    auditor = api_client("auditor", raise_server_exceptions=False)
    cases = [
        (detective, "/api/hits", {"start": when}, "start"),
        (detective, "/api/hits", {"end": when}, "end"),
        (detective, "/api/reads", {**PURPOSE, "start": when}, "start"),
        (detective, "/api/reads", {**PURPOSE, "end": when}, "end"),
        (detective, "/api/cameras/north/segments", {"start": when}, "start"),
        (detective, "/api/video/north/timeline", {"start": when}, "start"),
        (auditor, "/api/audit", {"start": when}, "start"),
        (auditor, "/api/audit", {"end": when}, "end"),
    ]
    for client, url, params, field in cases:
        _field_error(client.get(url, params=params), field)


@pytest.mark.parametrize("when", [LATE, EARLY])
def test_extreme_dates_in_bodies_are_422_and_write_nothing(
    api_client: Any, services: Services, when: str
) -> None:
    _camera(services)
    sup = api_client("supervisor", raise_server_exceptions=False)
    created = sup.post("/api/hotlists", json={"name": "stolen", "kind": "stolen_vehicle"})
    assert created.status_code in (200, 201), created.text
    list_id = created.json()["id"]
    entry = sup.post(f"/api/hotlists/{list_id}/entries", json={"plate": "AB12CDE", **ENTRY})
    assert entry.status_code in (200, 201), entry.text
    with services.sessions() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    _field_error(sup.post(f"/api/hotlists/{list_id}/entries",
                          json={"plate": "XY12ZZZ", "expires_at": when, **ENTRY}), "expires_at")
    _field_error(sup.patch(f"/api/hotlists/entries/{entry.json()['id']}",
                           json={"expires_at": when}), "expires_at")
    hold = {"case_number": "C-1", "reason": "court order 12", "data_class": "plate_reads",
            "expires_at": when}
    _field_error(sup.post("/api/retention/holds", json=hold), "expires_at")
    _field_error(sup.post("/api/retention/holds", json={
        **hold, "expires_at": "2030-01-01T00:00:00Z", "start_at": when}), "start_at")
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HotlistEntry)) == 1
        assert s.scalar(select(func.count()).select_from(LegalHold)) == 0
        assert s.scalar(select(func.count()).select_from(Hotlist)) == 1
        # refused requests are not half-written into the audit trail either
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_integers_beyond_64_bits_are_422(api_client: Any, services: Services) -> None:
    _camera(services)
    sup = api_client("supervisor", raise_server_exceptions=False)
    assert sup.post("/api/hotlists", json={"name": "stolen", "kind": "stolen_vehicle"}).is_success
    _field_error(sup.get("/api/hits", params={"hotlist_id": HUGE}), "hotlist_id")
    _field_error(sup.get("/api/hotlists/1/entries", params={"offset": HUGE}), "offset")
    hold = {"case_number": "C-1", "reason": "court order 12", "data_class": "plate_reads",
            "expires_at": "2030-01-01T00:00:00Z", "item_ids": [int(HUGE)]}
    _field_error(sup.post("/api/retention/holds", json=hold), "item_ids")
    assert sup.get(f"/api/hits/{HUGE}").status_code == 422
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LegalHold)) == 0


def test_nul_characters_are_422_naming_the_field(api_client: Any, services: Services) -> None:
    _camera(services)
    anonymous = api_client(None, raise_server_exceptions=False)
    _field_error(anonymous.post("/api/auth/login", json={"username": "ad\x00min",
                                                         "password": "whatever-it-is"}),
                 "username")
    sup = api_client("supervisor", raise_server_exceptions=False)
    _field_error(sup.get("/api/reads", params={**PURPOSE, "reason": "stolen\x00 vehicle x"}),
                 "reason")
    _field_error(sup.get("/api/hits", params={"camera_id": "no\x00rth"}), "camera_id")
    _field_error(sup.post("/api/hotlists", json={"name": "bad\x00list",
                                                 "kind": "stolen_vehicle"}), "name")
    resp = sup.get("/api/cameras/no%00rth/segments")
    assert resp.status_code in (404, 422), resp.text
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Hotlist)) == 0


def test_camera_ids_must_be_path_safe(api_client: Any, services: Services) -> None:
    admin = api_client("admin", raise_server_exceptions=False)
    for bad in ("..", ".", ".hidden", "a/b"):
        resp = admin.post("/api/admin/cameras", json={"id": bad, "name": "x",
                                                "url": "rtsp://10.0.0.1/s"})
        _field_error(resp, "id")
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Camera)) == 0


def test_nul_in_form_fields_is_422(api_client: Any, services: Services
                                                    ) -> None:
    sup = api_client("supervisor", raise_server_exceptions=False)
    csv = b"plate,state\nAB12CDE,CA\n"
    _field_error(sup.post("/api/hotlists/import", data={"name": "sto\x00len"},
                          files={"file": ("list.csv", csv, "text/csv")}), "name")
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Hotlist)) == 0
