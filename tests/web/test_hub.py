"""The websocket only sends each user what their role and assignments allow."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from rtcc.auth.principal import Principal
from rtcc.auth.roles import permissions_of
from rtcc.auth.visibility import scope_of, sees_event
from rtcc.events import InProcessBus, ReadEvent, decode, encode
from rtcc.vocab import ReadStatus
from web import hub
from web.hub import Frames, RestrictedLists, stream_events


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
                     status=ReadStatus.FINAL, region=None, frames=3, observed_at=at,
                     last_seen_at=at,
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


def _count_encodings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the events ``web.hub`` encodes from now on, in order."""
    made: list[int] = []
    real = hub.encode

    def counted(event: Any) -> str:
        made.append(event.id)
        return real(event)

    monkeypatch.setattr(hub, "encode", counted)
    return made


def test_an_event_is_encoded_once_for_all_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every console's pump gets the same event object: its text is made once, not per console;
    an equal but other object (a redacted copy) is encoded on its own; old texts are let go."""
    made = _count_encodings(monkeypatch)
    frames = Frames(size=2)
    one, same_again = _read(1, "north", "ONE1"), _read(1, "north", "ONE1")
    texts = [frames.text(one) for _ in range(20)]  # twenty consoles
    assert made == [1] and all(t is texts[0] for t in texts)
    assert decode(texts[0]) == one
    assert frames.text(same_again) == texts[0] and made == [1, 1]  # another object: its own
    frames.text(_read(2, "north", "TWO2"))
    frames.text(_read(3, "north", "THREE3"))  # beyond size: the first ones are let go
    frames.text(one)
    assert made == [1, 1, 2, 3, 1]


def test_two_consoles_share_one_encoding_through_the_app(api_client: Any, api_app: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    made = _count_encodings(monkeypatch)
    bus = api_app.state.services.bus
    first, second = api_client("supervisor"), api_client("detective", bearer=True)
    with first.websocket_connect("/ws/events") as ws_1, \
            second.websocket_connect("/ws/events") as ws_2:
        assert ws_1.receive_json()["type"] == ws_2.receive_json()["type"] == "hello"
        bus.publish(_read(7, "north", "SHARED7"))
        assert ws_1.receive_json()["plate"] == ws_2.receive_json()["plate"] == "SHARED7"
    assert made == [7]


class _Socket:
    """What ``stream_events`` uses of a websocket, recording the frames it is sent."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.hello = asyncio.Event()
        self.closed = asyncio.Event()

    async def accept(self) -> None:
        return None

    async def send_json(self, message: dict[str, Any]) -> None:
        self.hello.set()

    async def send_text(self, text: str) -> None:
        self.frames.append(text)

    async def receive_text(self) -> str:
        await self.closed.wait()
        raise WebSocketDisconnect(1000)

    async def close(self, code: int = 1000) -> None:
        self.closed.set()


@pytest.mark.parametrize("batch", [False, True])
def test_a_burst_goes_out_as_one_frame_when_the_console_asks(batch: bool) -> None:
    """With ``batch`` the events waiting together are one frame, a JSON array of the same
    encodings in order; without it, a frame each (older clients, scripts)."""
    bus = InProcessBus()

    async def run() -> list[str]:
        ws = _Socket()
        lists = RestrictedLists(lambda: frozenset(), clock=lambda: 0.0)
        task = asyncio.create_task(stream_events(
            ws, bus, principal=_who("supervisor"), restricted=lists, batch=batch  # type: ignore[arg-type]
        ))
        await ws.hello.wait()
        for n in range(50):  # one burst: published before the loop runs again
            bus.publish(_read(n, "north", f"BURST{n}"))
        while sum(len(f) for f in ws.frames) < sum(len(encode(_read(n, "north", f"BURST{n}")))
                                                  for n in range(50)):
            await asyncio.sleep(0.01)
        ws.closed.set()
        await task
        return ws.frames

    frames = asyncio.run(run())
    events = [e for f in frames for e in (json.loads(f) if f.startswith("[") else [json.loads(f)])]
    assert [e["plate"] for e in events] == [f"BURST{n}" for n in range(50)]
    assert len(frames) == (1 if batch else 50)


def test_consoles_of_one_scope_share_one_decision_per_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Thirty officers with the same assignments: the event rules run once per event for them,
    not once per console; a console of another scope gets its own decision; a change of the
    restricted lists decides again."""
    from rtcc.auth.visibility import scope_of

    decided: list[str] = []
    real = hub.sees_event

    def counted(scope: Any, message: Any, lists: Any) -> bool:
        decided.append(",".join(sorted(scope.cameras or ["*"])))
        return real(scope, message, lists)

    monkeypatch.setattr(hub, "sees_event", counted)
    frames, lists = Frames(), frozenset[int]()
    north = [hub.shared_scope(scope_of(
        Principal(user_id=n, username=f"o{n}", roles=("officer",), cameras=("north",),
                  hotlists=None, permissions=permissions_of(("officer",)))))
        for n in range(30)]
    south = hub.shared_scope(scope_of(_who("officer", cameras=("south",))))
    event = _read(5, "north", "NORTH5")
    texts = [frames.view(event, scope, lists) for scope in north]
    assert texts[0] is not None and all(t is texts[0] for t in texts)
    assert frames.view(event, south, lists) is None
    assert decided == ["north", "south"]
    assert frames.view(event, north[0], frozenset({9})) == texts[0]  # new lists: decided again
    assert decided == ["north", "south", "north"]


def test_an_outage_keeps_the_socket_open_for_its_alert() -> None:
    """While the database cannot be reached, what needs it to be checked (the restricted lists,
    the credential) is not sent, fail closed, but the socket stays open: the outage's alert,
    which needs neither, reaches the console."""
    from sqlalchemy.exc import OperationalError

    from rtcc.events import SystemAlertEvent

    def down() -> frozenset[int]:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    async def guard() -> int | None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    bus = InProcessBus()
    alert = SystemAlertEvent(kind="database_unreachable", severity="critical", active=True,  # type: ignore[arg-type]
                             message="The database cannot be reached.",
                             since=datetime(2026, 3, 1, 12, 0, tzinfo=UTC), queued=1)

    async def run(lists_down: bool) -> list[str]:
        ws = _Socket()
        lists = RestrictedLists(down if lists_down else (lambda: frozenset()), clock=lambda: 0.0)
        task = asyncio.create_task(stream_events(
            ws, bus, principal=_who("supervisor"), restricted=lists, batch=True,  # type: ignore[arg-type]
            guard=None if lists_down else guard,
        ))
        await ws.hello.wait()
        bus.publish(_read(1, "north", "DOWN1"))
        bus.publish(alert)
        bus.publish(_read(2, "north", "DOWN2"))
        bus.publish(alert)  # a second burst: the socket is still there
        while len(ws.frames) < 2:
            await asyncio.sleep(0.01)
            assert not task.done(), "the socket was closed"
        await asyncio.sleep(0.05)
        ws.closed.set()
        await task
        return ws.frames

    for lists_down in (True, False):
        frames = asyncio.run(run(lists_down))
        assert [json.loads(f)["kind"] for f in frames] == ["database_unreachable"] * 2
