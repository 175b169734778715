"""Configured hotlists are reloaded at every start without renumbering their entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from rtcc.models import HotlistEntry
from rtcc.runtime.runtime import load_configured_hotlists
from rtcc.runtime.services import build_services


def test_restart_keeps_entry_ids(make_settings: Any, db_url: str, tmp_path: Path) -> None:
    listfile = tmp_path / "stolen.csv"
    listfile.write_text("plate,reason\nLS15EBC,stolen\nAB12CDE,other\n", encoding="utf-8")
    settings = make_settings(
        database={"url": db_url}, hotlists=[{"name": "stolen", "file": str(listfile)}]
    )
    services = build_services(settings)
    try:
        load_configured_hotlists(services)
        with services.sessions() as s:
            before = {p: i for p, i in s.execute(select(HotlistEntry.plate, HotlistEntry.id))}
        listfile.write_text("plate,reason\nLS15EBC,stolen\nNEW123,bolo\n", encoding="utf-8")
        load_configured_hotlists(services)  # the next start, with the file changed
        with services.sessions() as s:
            after = {p: i for p, i in s.execute(select(HotlistEntry.plate, HotlistEntry.id))}
        assert set(after) == {"LS15EBC", "NEW123"}
        assert after["LS15EBC"] == before["LS15EBC"]
    finally:
        services.engine.dispose()
