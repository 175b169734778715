"""A list loaded from the configuration file is read-only in the console and the API (409 naming
the file), so no console change can vanish at the next start; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rtcc.models import HotlistEntry
from rtcc.runtime.runtime import load_configured_hotlists
from rtcc.runtime.services import Services, build_services


@pytest.fixture
def configured(make_settings: Any, db_url: str, tmp_path: Path) -> Iterator[Services]:
    listfile = tmp_path / "stolen.csv"
    listfile.write_text("plate,reason,case_number\nLS15EBC,stolen,K-1\n", encoding="utf-8")
    settings = make_settings(database={"url": db_url}, hotlists=[
        {"name": "stolen", "file": str(listfile), "two_person_confirm": True}])
    services = build_services(settings)
    load_configured_hotlists(services)
    try:
        yield services
    finally:
        services.engine.dispose()


def test_a_configured_list_is_read_only_and_says_which_file(
    configured: Services, api_client: Any
) -> None:
    from web.app import create_app

    app = create_app(configured)
    sup = api_client("supervisor", app=app)
    (listed,) = sup.get("/api/hotlists").json()["items"]
    assert listed["managed_file"].endswith("stolen.csv") and listed["two_person_confirm"]
    hid = listed["id"]
    (entry,) = sup.get(f"/api/hotlists/{hid}/entries").json()["items"]
    tries = [
        sup.post(f"/api/hotlists/{hid}/entries", json={
            "plate": "NEW123", "reason": "seen leaving the scene", "case_number": "K-2"}),
        sup.patch(f"/api/hotlists/{hid}", json={"priority": 10}),
        sup.delete(f"/api/hotlists/entries/{entry['id']}"),
        sup.patch(f"/api/hotlists/entries/{entry['id']}",
                  json={"expires_at": "2026-03-02T00:00:00Z"}),
        sup.post("/api/hotlists/import", data={"name": "stolen"},
                 files={"file": ("x.csv", b"plate\nNEW123\n", "text/csv")}),
    ]
    for resp in tries:
        assert resp.status_code == 409, resp.text
        assert "managed by file" in resp.json()["detail"]
        assert resp.json()["managed_file"].endswith("stolen.csv")
    load_configured_hotlists(configured)  # the next start: nothing was dropped or added
    with configured.sessions() as s:
        plates = list(s.scalars(select(HotlistEntry.plate)))
    assert plates == ["LS15EBC"]
