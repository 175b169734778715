"""The websocket only sends each user what their role and assignments allow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from rtcc.auth.principal import Principal
from rtcc.auth.roles import permissions_of
from rtcc.auth.visibility import scope_of, sees_event
from rtcc.events import ReadEvent, decode


def _who(*roles: str, cameras: tuple[str, ...] | None = None,
         hotlists: tuple[int, ...] | None = None) -> Principal:
    return Principal(user_id=1, username="u", roles=roles, cameras=cameras, hotlists=hotlists,
                     permissions=permissions_of(roles))


def visible(message: dict[str, Any], principal: Principal, restricted: frozenset[int]) -> bool:
    return sees_event(scope_of(principal), message, restricted)


def test_visible_rules() -> None:
    officer = _who("officer", cameras=("north",), hotlists=(1,))
    hit = {"type": "hit", "camera_id": "north", "hotlist_id": 1}
    assert visible(hit, officer, frozenset())
    assert not visible({**hit, "camera_id": "south"}, officer, frozenset())
    assert not visible({**hit, "hotlist_id": 2}, officer, frozenset())
    detective = _who("detective")
    assert visible({**hit, "hotlist_id": 2}, detective, frozenset())
    assert not visible({**hit, "hotlist_id": 2}, detective, frozenset({2}))  # restricted list
    assert visible({**hit, "hotlist_id": 2}, _who("supervisor"), frozenset({2}))
    auditor = _who("auditor")
    assert not visible(hit, auditor, frozenset())
    assert not visible({"type": "read", "camera_id": "north"}, auditor, frozenset())
    assert visible({"type": "camera_status", "camera_id": "north"}, auditor, frozenset())
    # Fail closed: unknown types, events without a camera, unknown roles.
    assert not visible({**hit, "type": "gossip"}, detective, frozenset())
    assert not visible({"type": "read"}, detective, frozenset())
    assert not visible(hit, _who("officer", "ghost"), frozenset())
    assert not visible({**hit, "hotlist_id": 2, "restricted": True}, detective, frozenset())


def _read(read_id: int, camera_id: str, plate: str) -> ReadEvent:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return ReadEvent(id=read_id, camera_id=camera_id, plate=plate, confidence=0.9,
                     status="final", region=None, frames=3, observed_at=at, last_seen_at=at,
                     snapshot_url=None, crop_url=None)


def test_officer_socket_gets_only_assigned_camera(api_client: Any, api_app: Any) -> None:
    bus = api_app.state.services.bus
    officer = api_client("officer", cameras=["north"], bearer=True)
    supervisor = api_client("supervisor")  # cookie session
    with officer.websocket_connect("/ws/events") as ws_o, \
            supervisor.websocket_connect("/ws/events") as ws_s:
        assert ws_o.receive_json()["type"] == "hello"
        assert ws_s.receive_json()["type"] == "hello"
        bus.publish(_read(1, "south", "SOUTH1"))
        bus.publish({"type": "read", "camera_id": "north", "plate": "UNTYPED"})  # not an event
        bus.publish(_read(2, "north", "NORTH1"))
        assert ws_o.receive_json()["plate"] == "NORTH1"
        assert ws_s.receive_json()["plate"] == "SOUTH1"
        # What the socket sends is the one encoding: it decodes back to the same event.
        assert decode(ws_s.receive_text()) == _read(2, "north", "NORTH1")


def test_socket_refuses_expired_session(api_client: Any, clock: Any) -> None:
    client = api_client("detective")
    clock.advance(minutes=31)
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/events"):
        pass
    assert refused.value.code == 4401
