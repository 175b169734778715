"""Typed events: one class per type, one JSON encoding, and a decoder that fails closed."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rtcc.events import (
    EVENT_CLASSES,
    SCHEMA_VERSION,
    CameraStatusEvent,
    Event,
    EventDecodeError,
    EventType,
    EventVersionError,
    HitUpdatedEvent,
    HotlistChangedEvent,
    InProcessBus,
    NewHitEvent,
    ReadEvent,
    SystemAlertEvent,
    UnknownEventTypeError,
    decode,
    encode,
)
from rtcc.models import Camera, Hit, HitEvent, Hotlist, HotlistEntry, PlateRead
from rtcc.schemas.cameras import CameraOut
from rtcc.schemas.hits import HitDetailOut, HitHistoryOut, HitOut
from rtcc.schemas.hotlists import EntryOut, HotlistRef
from rtcc.schemas.reads import ReadDetailOut, ReadOut

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _read() -> PlateRead:
    return PlateRead(id=7, camera_id="north", track_key="t1", plate="ABC1234",
                     confidence=0.912345, char_confidences=[0.9] * 7, region="CA",
                     status="final", frames=4, observed_at=T0,
                     last_seen_at=T0 + timedelta(seconds=3), box=[1, 2, 3, 4],
                     snapshot_path="media/reads/north/s.jpg", crop_path=None)


def _hotlist() -> Hotlist:
    return Hotlist(id=3, name="stolen", kind="stolen_vehicle", priority=90, colour="#ff0000",
                   restricted=True, source="NCIC", created_at=T0, updated_at=T0)


def _entry() -> HotlistEntry:
    return HotlistEntry(id=11, hotlist_id=3, plate="ABC1234", is_wildcard=False, state="CA",
                        reason="stolen", case_number="K-9", description="blue van",
                        extra=None, expires_at=None, added_by="sup", added_at=T0)


def _hit() -> Hit:
    return Hit(id=5, read_id=7, entry_id=11, hotlist_id=3, camera_id="north", plate="A8C1234",
               entry_plate="ABC1234", hotlist_name="stolen", reason="stolen", priority=90,
               match_type="confusable", distance=0.25, diff=[[1, "8", "B"]],
               needs_confirmation=True, historical=False, status="acknowledged",
               status_by="officer1", status_at=T0, reject_reason=None, reject_text=None,
               visually_confirmed=False, occurrences=2, observed_at=T0, last_seen_at=T0)


def _camera() -> Camera:
    return Camera(id="north", name="North gate", state="degraded", state_since_at=T0,
                  last_error=None, input_fps=12.3456, analysed_fps=4.0, skipped_frames=10,
                  motion_skipped_frames=3, restarts=1, last_frame_at=T0, reconnects=2)


def _detail() -> HitDetailOut:
    history = HitEvent(id=1, hit_id=5, at=T0, username="officer1", action="acknowledge",
                       from_status="new", to_status="acknowledged", note="on it")
    hit, read, entry, hotlist = _hit(), _read(), _entry(), _hotlist()
    return HitDetailOut(
        **HitOut.fields_of(hit, read, entry=entry, hotlist=hotlist),
        read=ReadDetailOut.of(read), entry=EntryOut.of(entry), list=HotlistRef.of(hotlist),
        history=[HitHistoryOut.of(history)],
    )


def every_event() -> list[Event]:
    return [
        ReadEvent.of(_read()),
        NewHitEvent.of(_hit(), _read(), entry=_entry(), hotlist=_hotlist()),
        HitUpdatedEvent(**dict(_detail())),
        CameraStatusEvent.of(_camera()),
        SystemAlertEvent(kind="database_unreachable", severity="critical", active=True,
                         message="database unreachable; reads are kept locally", since=T0,
                         queued=3),
    ]


def test_every_event_type_has_one_class() -> None:
    assert set(EVENT_CLASSES) == set(EventType)
    for kind, cls in EVENT_CLASSES.items():
        assert cls.model_fields["type"].default == kind
        assert cls.model_fields["schema_version"].default == SCHEMA_VERSION
        assert cls.model_config.get("frozen") is True
    built = {e.type for e in every_event()}
    assert built == {EventType.READ, EventType.HIT, EventType.HIT_UPDATED,
                     EventType.CAMERA_STATUS, EventType.SYSTEM_ALERT}


@pytest.mark.parametrize("event", every_event(), ids=lambda e: str(e.type))
def test_encode_decode_round_trip(event: Event) -> None:
    text = encode(event)
    assert decode(text) == event
    assert decode(text.encode()) == event  # bytes, as a bus hands them over
    message = json.loads(text)
    assert message["type"] == event.type.value and message["schema_version"] == SCHEMA_VERSION


def test_events_are_the_rest_models_plus_type_and_version() -> None:
    """The websocket sends the same fields as the REST answer for the same row."""
    pairs: list[tuple[Event, Any]] = [
        (ReadEvent.of(_read()), ReadOut.of(_read())),
        (NewHitEvent.of(_hit(), _read(), entry=_entry(), hotlist=_hotlist()),
         HitOut.of(_hit(), _read(), entry=_entry(), hotlist=_hotlist())),
        (HitUpdatedEvent(**dict(_detail())), _detail()),
        (CameraStatusEvent.of(_camera()), CameraOut.of(_camera())),
    ]
    for event, rest in pairs:
        message = json.loads(encode(event))
        assert message.pop("type") == event.type
        assert message.pop("schema_version") == SCHEMA_VERSION
        message.pop("alert", None)  # hits only: whether the console raises the alarm
        assert message == rest.model_dump(mode="json", by_alias=True)


def test_encoding_keeps_the_console_shapes() -> None:
    hit = json.loads(encode(NewHitEvent.of(_hit(), _read(), entry=_entry(), hotlist=_hotlist())))
    assert hit["camera_id"] == "north" and hit["hotlist_id"] == 3 and hit["restricted"] is True
    assert hit["observed_at"] == T0.isoformat()  # "+00:00", as before
    assert hit["diff"] == [{"position": 1, "read": "8", "entry": "B"}]
    assert hit["confidence"] == 0.9123 and hit["snapshot_url"] == "/media/reads/north/s.jpg"
    updated = json.loads(encode(HitUpdatedEvent(**dict(_detail()))))
    assert updated["history"][0] == {"at": T0.isoformat(), "username": "officer1",
                                     "action": "acknowledge", "from": "new",
                                     "to": "acknowledged", "note": "on it"}
    camera = json.loads(encode(CameraStatusEvent.of(_camera())))
    assert camera["input_fps"] == 12.35 and camera["state"] == "degraded"


def test_envelope_names_camera_and_list() -> None:
    hit = NewHitEvent.of(_hit(), _read(), entry=_entry(), hotlist=_hotlist())
    assert hit.envelope() == {"type": "hit", "schema_version": 1, "camera_id": "north",
                              "hotlist_id": 3, "restricted": True}
    read = ReadEvent.of(_read()).envelope()
    assert (read["camera_id"], read["hotlist_id"]) == ("north", None)


def _message(**changes: Any) -> str:
    message = json.loads(encode(ReadEvent.of(_read())))
    message.update(changes)
    return json.dumps({k: v for k, v in message.items() if v is not ...})


def test_decode_refuses_unknown_types_and_versions() -> None:
    with pytest.raises(UnknownEventTypeError) as unknown:
        decode(_message(type="gossip"))
    assert unknown.value.details["type"] == "gossip"
    with pytest.raises(UnknownEventTypeError):
        decode(_message(type=...))
    with pytest.raises(EventVersionError):
        decode(_message(schema_version=2))
    with pytest.raises(EventVersionError):
        decode(_message(schema_version=...))


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe", "not json", "[1, 2]", "null"],
)
def test_decode_refuses_what_is_not_an_event_object(data: Any) -> None:
    with pytest.raises(EventDecodeError):
        decode(data)


def test_decode_names_the_bad_field() -> None:
    with pytest.raises(EventDecodeError) as missing:
        decode(_message(plate=...))
    assert missing.value.details["field"] == "plate"
    with pytest.raises(EventDecodeError) as wrong:
        decode(_message(status="maybe"))  # not a read status
    assert wrong.value.details["field"] == "status"
    with pytest.raises(EventDecodeError) as extra:
        decode(_message(smuggled="x"))  # unknown fields are refused, not carried along
    assert extra.value.details["field"] == "smuggled"


def test_events_are_immutable() -> None:
    event = ReadEvent.of(_read())
    with pytest.raises(ValueError):
        event.plate = "OTHER"  # type: ignore[misc]


def test_in_process_bus_carries_typed_events_to_every_subscriber() -> None:
    bus = InProcessBus()
    first, second = bus.subscribe(), bus.subscribe(maxsize=1)
    events = every_event()
    for event in events:
        bus.publish(event)
    assert [first.get(timeout=1) for _ in events] == events
    assert second.get(timeout=1) == events[0] and second.dropped == len(events) - 1
    second.close()
    bus.publish(events[0])
    assert first.get(timeout=1) is events[0]
    with pytest.raises(queue.Empty):
        second.get(timeout=0.01)


def test_a_burst_for_many_consoles_wakes_their_loop_once() -> None:
    """Events published from another thread (the bus's) while the server's loop is busy reach
    every console's subscription in order, with one wake-up of the loop for the whole burst
    rather than one per event and console."""
    bus = InProcessBus()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        wakes: list[Any] = []
        real = loop.call_soon_threadsafe

        def counted(callback: Any, *args: Any) -> Any:
            wakes.append(callback)
            return real(callback, *args)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        subs = [bus.subscribe_async(maxsize=1000) for _ in range(5)]
        burst = threading.Thread(target=lambda: [
            bus.publish(HotlistChangedEvent(hotlist_id=i, change="import", origin="x"))
            for i in range(300)
        ])
        burst.start()
        burst.join()  # the loop is held meanwhile, as by a busy server
        got = [[(await sub.get()).hotlist_id for _ in range(300)] for sub in subs]  # type: ignore[attr-defined]
        assert got == [list(range(300))] * 5
        assert len(wakes) == 1
        bus.publish(HotlistChangedEvent(hotlist_id=300, change="import", origin="x"))
        assert [(await sub.get()).hotlist_id for sub in subs] == [300] * 5  # type: ignore[attr-defined]
        assert len(wakes) == 2
        for sub in subs:
            sub.close()

    asyncio.run(main())


def test_subscriptions_of_a_closed_loop_are_dropped() -> None:
    bus = InProcessBus()

    async def subscribe() -> None:
        bus.subscribe_async()

    asyncio.run(subscribe())  # the loop is closed when run returns
    assert bus.subscribers == 1
    bus.publish(HotlistChangedEvent(hotlist_id=1, change="import", origin="x"))
    assert bus.subscribers == 0


def test_a_console_too_slow_for_a_burst_loses_the_oldest() -> None:
    bus = InProcessBus()

    async def main() -> None:
        sub = bus.subscribe_async(maxsize=5)
        for i in range(8):
            bus.publish(HotlistChangedEvent(hotlist_id=i, change="import", origin="x"))
        first = await sub.get()
        rest = sub.ready(10)
        assert [e.hotlist_id for e in [first, *rest]] == [3, 4, 5, 6, 7]  # type: ignore[attr-defined]
        assert sub.dropped == 3 and sub.ready(10) == []
        sub.close()

    asyncio.run(main())
