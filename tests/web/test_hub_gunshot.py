"""A gunshot alert reaches every user with ``gunshots:view``, naming only the covering cameras
that user may see (``rtcc.auth.visibility.redact_event``, applied by the websocket hub)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rtcc.auth.principal import Principal
from rtcc.auth.roles import permissions_of
from rtcc.auth.visibility import redact_event, scope_of
from rtcc.events import GunshotEvent, ReadEvent, decode


def _alert(*cameras: str) -> GunshotEvent:
    return GunshotEvent.model_validate({
        "source": "shotspotter", "alert_id": "A-7", "version": 1, "alert_type": "gunfire",
        "rounds": 3, "latitude": 40.7, "longitude": -74.0, "address": "5th & Main",
        "detected_at": "2026-03-01T11:59:30Z", "received_at": "2026-03-01T12:00:00Z",
        "covering": [{"camera_id": c, "name": c.title(), "distance_m": 40.0} for c in cameras],
    })


def _officer(*cameras: str) -> Any:
    roles = ("officer",)
    return scope_of(Principal(user_id=1, username="o", roles=roles, cameras=cameras,
                              hotlists=None, permissions=permissions_of(roles)))


def test_redact_keeps_only_visible_covering_cameras() -> None:
    alert = _alert("north", "south", "east")
    kept = redact_event(_officer("south"), alert)
    assert [c.camera_id for c in kept.covering] == ["south"]
    assert kept.alert_id == "A-7" and kept.address == "5th & Main"
    assert [c.camera_id for c in alert.covering] == ["north", "south", "east"]  # not mutated
    assert redact_event(_officer("west"), alert).covering == []
    assert redact_event(_officer("north", "south", "east"), alert) is alert


def test_redact_leaves_events_without_covering_cameras() -> None:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    read = ReadEvent.model_validate({
        "id": 1, "camera_id": "north", "plate": "ABC1", "confidence": 0.9, "status": "final",
        "region": None, "frames": 3, "observed_at": at, "last_seen_at": at,
        "snapshot_url": None, "crop_url": None})
    assert redact_event(_officer("south"), read) is read


def test_socket_sends_each_user_only_their_covering_cameras(api_client: Any,
                                                             api_app: Any) -> None:
    bus = api_app.state.services.bus
    officer = api_client("officer", cameras=["north"], bearer=True)
    other = api_client("officer", cameras=["west"])
    supervisor = api_client("supervisor")
    with officer.websocket_connect("/ws/events") as ws_o, \
            other.websocket_connect("/ws/events") as ws_w, \
            supervisor.websocket_connect("/ws/events") as ws_s:
        for ws in (ws_o, ws_w, ws_s):
            assert ws.receive_json()["type"] == "hello"
        bus.publish(_alert("north", "south"))
        got_o, got_w, got_s = (decode(ws.receive_text()) for ws in (ws_o, ws_w, ws_s))
    assert isinstance(got_o, GunshotEvent) and isinstance(got_w, GunshotEvent)
    assert [c.camera_id for c in got_o.covering] == ["north"]
    assert got_w.covering == [] and got_w.alert_id == "A-7"  # the alert itself still arrives
    assert got_s == _alert("north", "south")
