"""Imports into the database: merge, replace, atomicity, audit; manual entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hotlist import service
from hotlist.importer import HotlistImportError, parse_text
from rtcc import audit
from rtcc.audit import SYSTEM
from rtcc.db import transaction
from rtcc.errors import ConflictError, InvalidInputError
from rtcc.models import AuditEvent, Hotlist, HotlistEntry
from rtcc.runtime.hotlists import import_hotlist
from rtcc.runtime.services import Services
from tests.support.hotlists import import_csv


def plates(services: Services, name: str) -> list[tuple[str, str | None]]:
    with services.sessions() as s:
        return sorted(
            s.execute(
                select(HotlistEntry.plate, HotlistEntry.state)
                .join(Hotlist, Hotlist.id == HotlistEntry.hotlist_id)
                .where(Hotlist.name == name)
            )
        )


def test_merge_updates_same_plate_and_state_and_adds_new(services: Services) -> None:
    import_csv(
        services,
        "stolen",
        "plate,state,reason\nABC123,CA,old\nXYZ9,,x\n",
        list_fields={"kind": "stolen_vehicle", "priority": 90},
    )
    result = import_csv(services, "stolen", "plate,state,reason\nABC123,CA,new\nNEW1,NY,y\n")
    assert (result.added, result.updated, result.removed) == (1, 1, 0)
    assert plates(services, "stolen") == [("ABC123", "CA"), ("NEW1", "NY"), ("XYZ9", None)]
    with services.sessions() as s:
        hl = s.scalar(select(Hotlist).where(Hotlist.name == "stolen"))
        assert hl is not None and (hl.kind, hl.priority) == ("stolen_vehicle", 90)
        reasons = s.scalars(select(HotlistEntry.reason).where(HotlistEntry.plate == "ABC123"))
        assert list(reasons) == ["new"]
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions.count("hotlist.import") == 2 and "hotlist.create" in actions
        assert audit.verify(s) is None
    # The live index follows the import.
    assert services.matcher.index.size == 3


def test_replace_swaps_the_whole_list(services: Services) -> None:
    import_csv(services, "daily", "plate\nAAA111\nBBB222\n")
    with services.sessions() as s:
        kept_id = s.scalar(select(HotlistEntry.id).where(HotlistEntry.plate == "BBB222"))
    result = import_csv(services, "daily", "plate\nBBB222\nCCC333\n", replace=True)
    assert (result.added, result.updated, result.removed) == (1, 1, 1)
    assert plates(services, "daily") == [("BBB222", None), ("CCC333", None)]
    with services.sessions() as s:  # an entry that stays keeps its id (hits keep their entry)
        assert s.scalar(select(HotlistEntry.id).where(HotlistEntry.plate == "BBB222")) == kept_id
    now = services.clock.now()
    assert services.matcher.match("AAA111", state=None, now=now) == []
    assert len(services.matcher.match("CCC333", state=None, now=now)) == 1


def test_failed_replace_leaves_the_old_list_untouched(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_csv(services, "daily", "plate\nAAA111\nBBB222\n")
    monkeypatch.setattr(service, "CHUNK", 2)

    def boom(done: int, total: int) -> None:
        if done >= 2:
            raise RuntimeError("disk full")

    text = "plate\n" + "".join(f"NEW{i:03d}\n" for i in range(10))
    with pytest.raises(RuntimeError, match="disk full"):
        import_hotlist(
            services,
            name="daily",
            imported=parse_text(text, format="csv"),
            actor=SYSTEM,
            replace=True,
            progress=boom,
        )
    assert plates(services, "daily") == [("AAA111", None), ("BBB222", None)]
    assert len(services.matcher.match("AAA111", state=None, now=services.clock.now())) == 1


def test_bad_file_imports_nothing(services: Services) -> None:
    with pytest.raises(HotlistImportError):
        import_csv(services, "x", "plate\nGOOD\n!!!\n")
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HotlistEntry)) == 0
        assert s.scalar(select(func.count()).select_from(Hotlist)) == 0


def test_skip_bad_result_lists_skipped_lines(services: Services) -> None:
    imported = parse_text("plate\nGOOD1\n!!!\n", format="csv", skip_bad=True)
    result = import_hotlist(services, name="x", imported=imported, actor=SYSTEM)
    assert result.added == 1
    assert result.to_dict()["skipped"] == [
        {"line": 3, "reason": "plate '!!!' has no letters or digits"}
    ]


def test_duplicates_in_one_file_keep_the_last(services: Services) -> None:
    result = import_csv(services, "d", "plate,reason\nABC1,a\nABC1,b\n")
    assert result.added == 1


def test_manual_entry_validation_and_delete(services: Services) -> None:
    now = services.clock.now()
    with transaction(services.sessions) as s:
        hl = service.create_list(
            s,
            name="manual",
            now=now,
            actor=SYSTEM,
            kind="bolo",
            colour="#ff0000",
            restricted=True,
            priority=70,
        )
        entry = service.add_entry(
            s,
            hotlist=hl,
            plate="abc 123",
            state="ca",
            now=now,
            actor=SYSTEM,
            case_number="K-1",
            expires_at=now + timedelta(days=1),
        )
        assert (entry.plate, entry.state, entry.added_by) == ("ABC123", "CA", "system")
        with pytest.raises(InvalidInputError, match="no letters"):
            service.add_entry(s, hotlist=hl, plate="--", now=now, actor=SYSTEM)
        with pytest.raises(ConflictError):
            service.create_list(s, name="manual", now=now, actor=SYSTEM)
        with pytest.raises(InvalidInputError, match="priority"):
            service.update_list(s, hotlist=hl, now=now, actor=SYSTEM, priority=101)
        service.delete_entry(s, entry_id=entry.id, now=now, actor=SYSTEM)
        assert s.get(HotlistEntry, entry.id) is None


def test_configured_list_loader_still_works(services: Services, tmp_path: Any) -> None:
    now = services.clock.now()
    entries = parse_text("plate\nAAA1\n", format="csv").entries
    with transaction(services.sessions) as s:
        service.replace_list(s, name="cfg", entries=entries, now=now, kind="custom", priority=10)
    with transaction(services.sessions) as s:
        service.replace_list(s, name="cfg", entries=entries, now=now)
    assert plates(services, "cfg") == [("AAA1", None)]
