"""Hits from live reads (ingest), duplicate suppression, historical hits, the workflow."""

from __future__ import annotations

import contextlib
import queue
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotlist import hits as workflow
from rtcc.audit import Actor
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.errors import ConflictError, InvalidInputError
from rtcc.models import AuditEvent, Hit, HitEvent
from rtcc.runtime.hotlists import entry_added
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services, build_services
from tests.support.hotlists import add_read, import_csv, read_message

OFFICER = Actor(username="o.smith", roles=("officer",))


def all_hits(services: Services) -> list[Hit]:
    with services.sessions() as s:
        return list(s.scalars(select(Hit).order_by(Hit.id)))


@pytest.fixture
def lattice_or_not(make_settings: Any, db_url: str, clock: FakeClock) -> Any:
    """Services matching on the read's lattice (the one rule)."""
    settings = make_settings(database={"url": db_url})
    svc = build_services(settings, clock=clock)
    try:
        yield "lattice", svc
    finally:
        svc.engine.dispose()


def test_live_read_raises_hit_with_list_details(lattice_or_not: Any) -> None:
    kind, services = lattice_or_not
    sub = services.bus.subscribe()
    import_csv(
        services,
        "stolen",
        "plate,state,reason,case_number,description\nABC1234,CA,stolen,K-9,blue van\n",
        list_fields={"priority": 95},
    )
    Ingestor(services).handle(read_message(services, "A8C1234", region="CA"))
    (hit,) = all_hits(services)
    assert (hit.match_type, hit.needs_confirmation, hit.historical) == (kind, True, False)
    # the lattice's log-likelihood ratio is the hit's score
    assert hit.diff == [[1, "8", "B"]] and hit.priority == 95
    assert hit.score is not None
    events = []
    with contextlib.suppress(queue.Empty):
        while True:
            events.append(sub.get(timeout=0))
    sub.close()
    event = next(e for e in events if e.type == "hit")
    data = event.to_message()  # the JSON the websocket and the bus carry
    assert data["hotlist"] == "stolen" and data["priority"] == 95
    assert data["match_type"] == kind and data["needs_confirmation"] is True
    assert data["diff"] == [{"position": 1, "read": "8", "entry": "B"}]
    assert data["crop_url"] == "/media/cam1/c.jpg" and data["snapshot_url"] == "/media/cam1/s.jpg"
    assert (data["case_number"], data["description"], data["entry_state"]) == (
        "K-9",
        "blue van",
        "CA",
    )


def test_wrong_state_read_does_not_hit(services: Services) -> None:
    import_csv(services, "stolen", "plate,state\nABC1234,CA\n")
    Ingestor(services).handle(read_message(services, "ABC1234", region="NV"))
    assert all_hits(services) == []


def test_duplicates_within_the_window_update_one_hit(
    services: Services, clock: FakeClock, bus_events: Any
) -> None:
    import_csv(services, "stolen", "plate\nABC1234\n")
    window = services.settings.matching.dedup_window_s
    ingest = Ingestor(services)
    ingest.handle(read_message(services, "ABC1234", track="a"))
    ingest.handle(read_message(services, "ABC1234", track="a"))  # same pass, final update
    clock.advance(window / 2)
    ingest.handle(read_message(services, "ABC1234", track="b"))  # next pass, inside window
    (hit,) = all_hits(services)
    assert hit.occurrences == 2
    ingest.handle(read_message(services, "ABC1234", track="c", camera_id="cam2"))
    clock.advance(window * 2)
    ingest.handle(read_message(services, "ABC1234", track="d"))  # after the window
    assert len(all_hits(services)) == 3
    kinds = [e.type for e in bus_events() if e.type.startswith("hit")]
    assert kinds == ["hit", "hit_updated", "hit_updated", "hit", "hit"]


def test_expired_entry_never_hits(services: Services, clock: FakeClock) -> None:
    expiry = (clock.now() + timedelta(hours=1)).isoformat()
    import_csv(services, "s", f"plate,expires_at\nABC1234,{expiry}\n")
    clock.advance(3600)
    Ingestor(services).handle(read_message(services, "ABC1234"))
    assert all_hits(services) == []


def test_historical_hits_on_import_within_retention(
    services: Services, clock: FakeClock, bus_events: Any
) -> None:
    days = services.settings.retention.plate_reads_days
    old = add_read(services, "OLD1234", at=clock.now() - timedelta(days=days + 1))
    recent = add_read(services, "NEW1234", at=clock.now() - timedelta(days=3))
    add_read(services, "NEW1Z34", at=clock.now() - timedelta(days=2), camera_id="cam2")
    result = import_csv(services, "bolo", "plate\nOLD1234\nNEW1234\n")
    assert result.historical_hits == 2
    hits = all_hits(services)
    assert {(h.read_id == recent, h.match_type, h.historical) for h in hits} == {
        (True, "exact", True),
        (False, "lattice", True),
    }
    assert all(h.read_id != old for h in hits)
    assert sum(e.type == "hit" and e.to_message()["historical"] for e in bus_events()) == 2
    # Re-importing (merge or replace) the same plates does not raise them again.
    assert (
        import_csv(services, "bolo", "plate\nOLD1234\nNEW1234\n", replace=True).historical_hits == 0
    )
    assert len(all_hits(services)) == 2


def test_historical_hits_on_manual_entry(services: Services) -> None:
    add_read(services, "XYZ987")
    import_csv(services, "manual", "plate\nAAA111\n")
    from hotlist import service

    with transaction(services.sessions) as s:
        hl = service.get_list(s, name="manual")
        entry = service.add_entry(
            s, hotlist=hl, plate="XYZ987", now=services.clock.now(), actor=OFFICER
        )
        entry_id = entry.id
    (hit,) = entry_added(services, entry_id=entry_id)
    assert hit.historical
    assert len(services.matcher.match("XYZ987", state=None, now=services.clock.now())) == 1


def _one_hit(services: Services) -> int:
    import_csv(services, "s", "plate\nABC1234\n")
    Ingestor(services).handle(read_message(services, "ABC1234"))
    return all_hits(services)[0].id


def _act(services: Services, hit_id: int, action: str, **kw: Any) -> Hit:
    with transaction(services.sessions) as s:
        hit = workflow.get_hit(s, hit_id)
        return workflow.transition(
            s, hit=hit, action=action, actor=OFFICER, now=services.clock.now(), **kw
        )


def test_workflow_acknowledge_then_confirm(services: Services) -> None:
    hit_id = _one_hit(services)
    with pytest.raises(ConflictError, match="needs acknowledged"):
        _act(services, hit_id, "confirm", visual_check=True)
    _act(services, hit_id, "acknowledge")
    with pytest.raises(InvalidInputError, match="visual_check"):
        _act(services, hit_id, "confirm")
    hit = _act(services, hit_id, "confirm", visual_check=True, text="matches photo")
    assert (hit.status, hit.status_by, hit.visually_confirmed) == ("confirmed", "o.smith", True)
    with pytest.raises(ConflictError):
        _act(services, hit_id, "reject", reason="misread")
    with pytest.raises(ConflictError):
        _act(services, hit_id, "acknowledge")
    with transaction(services.sessions) as s:
        workflow.add_note(
            s,
            hit=workflow.get_hit(s, hit_id),
            actor=OFFICER,
            now=services.clock.now(),
            text="driver detained",
        )
        history = [
            (e.action, e.from_status, e.to_status, e.username) for e in workflow.history(s, hit_id)
        ]
        assert history == [
            ("acknowledge", "new", "acknowledged", "o.smith"),
            ("confirm", "acknowledged", "confirmed", "o.smith"),
            ("note", None, None, "o.smith"),
        ]
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("hit.%"))))
        assert actions == ["hit.acknowledge", "hit.confirm", "hit.note"]


@pytest.mark.parametrize("reason", workflow.REJECT_REASONS)
def test_reject_reasons(services: Services, reason: str) -> None:
    hit_id = _one_hit(services)
    if reason == "other":
        with pytest.raises(InvalidInputError, match="say why"):
            _act(services, hit_id, "reject", reason="other")
    hit = _act(services, hit_id, "reject", reason=reason, text="plate is a dealer tag")
    assert (hit.status, hit.reject_reason) == ("rejected", reason)


def test_reject_needs_a_known_reason_and_unknown_actions_refused(services: Services) -> None:
    hit_id = _one_hit(services)
    with pytest.raises(InvalidInputError, match="reason"):
        _act(services, hit_id, "reject", reason="bored")
    with pytest.raises(InvalidInputError, match="action"):
        _act(services, hit_id, "escalate")
    with services.sessions() as s:
        assert s.scalars(select(HitEvent)).all() == []
