"""Legal holds service: validation, release, listing, audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from retention.holds import create_hold, list_holds, release_hold, to_spec
from rtcc.audit import Actor, verify
from rtcc.db import transaction
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError
from rtcc.models import AuditEvent
from rtcc.runtime.services import Services

DAY = timedelta(days=1)
SUP = Actor(username="sgt.smith", roles=("supervisor",))


def _hold(services: Services, **kw: object) -> int:
    now = services.clock.now()
    args: dict[str, object] = {
        "case_number": "C-9",
        "reason": "burglary",
        "data_class": "video",
        "camera_id": "cam1",
        "start_at": now - 5 * DAY,
        "end_at": now - 4 * DAY,
        "expires_at": now + 10 * DAY,
    }
    args.update(kw)
    with transaction(services.sessions) as s:
        return create_hold(s, now=now, actor=SUP, **args).id  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"case_number": " "}, "case_number"),
        ({"reason": ""}, "reason"),
        ({"data_class": "audit"}, "data_class"),
        ({"camera_id": None}, "item_ids"),
        ({"start_at": None}, "start_at"),
        ({"item_ids": [1], "camera_id": "cam1"}, "item_ids"),
        ({"item_ids": [0], "camera_id": None, "start_at": None, "end_at": None}, "item_ids"),
        ({"plate": "!!!"}, "plate"),
    ],
)
def test_bad_holds_name_the_field(services: Services, kw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        _hold(services, **kw)
    assert err.value.details["field"] == field


def test_expiry_and_range_must_make_sense(services: Services) -> None:
    now = services.clock.now()
    with pytest.raises(InvalidInputError, match="expires_at"):
        _hold(services, expires_at=now)
    with pytest.raises(InvalidInputError, match="end_at"):
        _hold(services, start_at=now, end_at=now - DAY)


def test_release_records_who_and_is_audited(services: Services) -> None:
    hold_id = _hold(services)
    services.clock.advance(hours=1)  # type: ignore[attr-defined]
    boss = Actor(username="lt.jones", roles=("supervisor",))
    with transaction(services.sessions) as s:
        hold = release_hold(s, hold_id=hold_id, now=services.clock.now(), actor=boss)
        assert hold.released_by == "lt.jones"
        assert not to_spec(hold).active(services.clock.now())
    with transaction(services.sessions) as s, pytest.raises(ConflictError, match="lt.jones"):
        release_hold(s, hold_id=hold_id, now=services.clock.now(), actor=boss)
    with transaction(services.sessions) as s, pytest.raises(NotFoundError):
        release_hold(s, hold_id=999, now=services.clock.now(), actor=boss)
    with services.sessions() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.username, AuditEvent.case_number))
        assert [tuple(r) for r in rows] == [
            ("hold.create", "sgt.smith", "C-9"),
            ("hold.release", "lt.jones", "C-9"),
        ]
        assert verify(s) is None


def test_listing_hides_expired_and_released_unless_asked(services: Services) -> None:
    active = _hold(services)
    short = _hold(services, expires_at=services.clock.now() + DAY)
    services.clock.advance(days=2)  # type: ignore[attr-defined]
    with services.sessions() as s:
        now = services.clock.now()
        assert [h.id for h in list_holds(s, now=now)] == [active]
        assert [h.id for h in list_holds(s, now=now, include_inactive=True)] == [active, short]


def test_extend_only_later_only_active_and_audited(services: Services) -> None:
    from retention.holds import extend_hold

    hold_id = _hold(services)
    now = services.clock.now()
    with transaction(services.sessions) as s:
        hold = extend_hold(s, hold_id=hold_id, expires_at=now + 40 * DAY, now=now, actor=SUP)
        assert hold.expires_at == now + 40 * DAY
    with transaction(services.sessions) as s, pytest.raises(InvalidInputError, match="later"):
        extend_hold(s, hold_id=hold_id, expires_at=now + 20 * DAY, now=now, actor=SUP)
    with transaction(services.sessions) as s:
        release_hold(s, hold_id=hold_id, now=now, actor=SUP)
    with transaction(services.sessions) as s, pytest.raises(ConflictError, match="released"):
        extend_hold(s, hold_id=hold_id, expires_at=now + 90 * DAY, now=now, actor=SUP)
    with services.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions == ["hold.create", "hold.extend", "hold.release"]
        assert verify(s) is None
