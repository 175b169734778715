"""Events and the event bus: reads, hits and camera status flow through it to the websocket hub.

An event is one frozen pydantic model per :class:`EventType`; each *is* the read model the REST
API answers with (``ReadOut``, ``HitOut``, ``HitDetailOut``, ``CameraOut``) plus ``type`` and
``schema_version``, so ``camera_id`` / ``hotlist_id`` are plain fields. :func:`encode` and
:func:`decode` are the one JSON encoding used by the websocket and by any bus between hosts;
``decode`` refuses unknown types and versions with a typed error (fail closed).

``EventBus`` is the small interface; ``InProcessBus`` is the implementation used when everything
runs on one host. A Redis Streams or NATS bus implements the same three methods.
"""

from __future__ import annotations

import asyncio
import collections
import queue
import threading
import weakref
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

import orjson
from pydantic import Field, TypeAdapter, ValidationError

from rtcc.errors import RtccError
from rtcc.schemas.cameras import CameraOut
from rtcc.schemas.hits import HitDetailOut, HitOut
from rtcc.schemas.hotlists import HotlistChange
from rtcc.schemas.integrations import GunshotAlertOut
from rtcc.schemas.reads import ReadOut
from rtcc.schemas.system import SystemAlertOut

SCHEMA_VERSION = 1


class EventType(StrEnum):
    READ = "read"
    HIT = "hit"
    HIT_UPDATED = "hit_updated"
    CAMERA_STATUS = "camera_status"
    GUNSHOT = "gunshot"
    HOTLIST_CHANGED = "hotlist_changed"
    SYSTEM_ALERT = "system_alert"


class EventDecodeError(RtccError):
    """Bytes that are not an event this version of the product understands (drop them)."""

    code = "bad_event"


class UnknownEventTypeError(EventDecodeError):
    code = "unknown_event_type"


class EventVersionError(EventDecodeError):
    code = "unsupported_event_version"


class _Event:
    """What every event adds to its read model (a mixin: no fields of its own, so that the
    model's ``camera_id`` / ``hotlist_id`` stay fields)."""

    def envelope(self) -> dict[str, Any]:
        """The fields a router or a visibility filter looks at, without the payload."""
        return {
            "type": str(getattr(self, "type")),  # noqa: B009 - declared by each event class
            "schema_version": getattr(self, "schema_version"),  # noqa: B009
            "camera_id": getattr(self, "camera_id", None),
            "hotlist_id": getattr(self, "hotlist_id", None),
            "restricted": getattr(self, "restricted", None),
        }

    def to_message(self) -> dict[str, Any]:
        """The event as a JSON object (``type``, ``schema_version`` and the model's fields)."""
        return self.model_dump(mode="json", by_alias=True)  # type: ignore[attr-defined, no-any-return]


class ReadEvent(_Event, ReadOut):
    """A plate read was stored (a preview, then the final consensus of the same vehicle)."""

    type: Literal[EventType.READ] = EventType.READ
    schema_version: Literal[1] = 1


class NewHitEvent(_Event, HitOut):
    """A read matched a hotlist entry: a new hit (``historical`` when found in past reads).
    ``alert``: the console raises a banner and sound (historical hits only on lists marked
    ``alert_on_historical``)."""

    type: Literal[EventType.HIT] = EventType.HIT
    schema_version: Literal[1] = 1
    alert: bool = True


class HitUpdatedEvent(_Event, HitDetailOut):
    """A hit changed: the vehicle was seen again, or an officer acted on it (``alert`` when
    the console should raise it again)."""

    type: Literal[EventType.HIT_UPDATED] = EventType.HIT_UPDATED
    schema_version: Literal[1] = 1
    alert: bool = False


class CameraStatusEvent(_Event, CameraOut):
    """A camera's state or figures changed."""

    type: Literal[EventType.CAMERA_STATUS] = EventType.CAMERA_STATUS
    schema_version: Literal[1] = 1


class GunshotEvent(_Event, GunshotAlertOut):
    """An acoustic gunshot alert (or a new version of one) arrived, with its covering cameras."""

    type: Literal[EventType.GUNSHOT] = EventType.GUNSHOT
    schema_version: Literal[1] = 1


class HotlistChangedEvent(_Event, HotlistChange):
    """Hotlists changed on some instance: every other instance reloads its live index. Between
    instances only; the websocket hub drops it (no rule in ``rtcc.auth.visibility``)."""

    type: Literal[EventType.HOTLIST_CHANGED] = EventType.HOTLIST_CHANGED
    schema_version: Literal[1] = 1


class SystemAlertEvent(_Event, SystemAlertOut):
    """The system needs an operator: the database is unreachable, storage is degraded, a
    scheduled retention run was refused (``active: false`` when the condition clears)."""

    type: Literal[EventType.SYSTEM_ALERT] = EventType.SYSTEM_ALERT
    schema_version: Literal[1] = 1


Event = (
    ReadEvent
    | NewHitEvent
    | HitUpdatedEvent
    | CameraStatusEvent
    | GunshotEvent
    | HotlistChangedEvent
    | SystemAlertEvent
)
EVENT_CLASSES: dict[EventType, type[Event]] = {
    EventType.READ: ReadEvent,
    EventType.HIT: NewHitEvent,
    EventType.HIT_UPDATED: HitUpdatedEvent,
    EventType.CAMERA_STATUS: CameraStatusEvent,
    EventType.GUNSHOT: GunshotEvent,
    EventType.HOTLIST_CHANGED: HotlistChangedEvent,
    EventType.SYSTEM_ALERT: SystemAlertEvent,
}
_ADAPTER: TypeAdapter[Event] = TypeAdapter(Annotated[Event, Field(discriminator="type")])


def encode(event: Event) -> str:
    """The one JSON text of an event (websocket frames, bus messages)."""
    return event.model_dump_json(by_alias=True)


def decode(data: str | bytes) -> Event:
    """The event in ``data``; raises :class:`EventDecodeError` (or a subclass) for anything else."""
    try:
        message = orjson.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventDecodeError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise EventDecodeError("not an event object")
    return from_message(message)


def from_message(message: dict[str, Any]) -> Event:
    """The event a decoded JSON object describes (see :func:`decode`)."""
    kind = message.get("type")
    if kind not in EVENT_CLASSES:
        raise UnknownEventTypeError(f"unknown event type {kind!r}", type=str(kind)[:64])
    version = message.get("schema_version")
    if version != SCHEMA_VERSION:
        raise EventVersionError(
            f"{kind} event schema_version {version!r}; this build reads {SCHEMA_VERSION}",
            schema_version=str(version)[:16],
        )
    try:
        return _ADAPTER.validate_python(message)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:])
        raise EventDecodeError(f"{kind} event: {where}: {first['msg']}", field=where) from None


class Subscription(Protocol):
    def close(self) -> None: ...


class EventBus(Protocol):
    def publish(self, event: Event) -> None:
        """Deliver to every subscriber; thread-safe and never blocks the publisher."""
        ...

    def subscribe(self, maxsize: int = 1000) -> SyncSubscription:
        """A subscription read by a thread (``get(timeout)``)."""
        ...

    def subscribe_async(self, maxsize: int = 1000) -> AsyncSubscription:
        """A subscription read by a coroutine on the running loop (``await get()``)."""
        ...


class SyncSubscription:
    def __init__(self, bus: InProcessBus, maxsize: int) -> None:
        self._bus = bus
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=maxsize)
        self.dropped = 0

    def _deliver(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def get(self, timeout: float | None = None) -> Event:
        """Next event; raises ``queue.Empty`` after ``timeout`` seconds."""
        return self._queue.get(timeout=timeout)

    def close(self) -> None:
        self._bus._remove(self)


class _LoopInbox:
    """Events on their way to the subscriptions of one event loop, from any thread: a burst of
    events for any number of subscriptions costs the loop one wake-up (``call_soon_threadsafe``
    writes to the loop's self-pipe), not one per event and subscription. Order is kept."""

    def __init__(self, bus: InProcessBus, loop: asyncio.AbstractEventLoop) -> None:
        self._bus, self._loop = bus, loop
        self._lock = threading.Lock()
        self._pending: collections.deque[tuple[AsyncSubscription, Event]] = collections.deque()
        self._scheduled = False

    def post(self, sub: AsyncSubscription, event: Event) -> None:
        with self._lock:
            self._pending.append((sub, event))
            if self._scheduled:
                return  # the wake-up on its way takes this one too
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._flush)
        except RuntimeError:  # the loop is closed: its subscriptions are gone
            for gone, _ in self._take():
                self._bus._remove(gone)

    def _take(self) -> list[tuple[AsyncSubscription, Event]]:
        with self._lock:
            items = list(self._pending)
            self._pending.clear()
            self._scheduled = False
        return items

    def _flush(self) -> None:
        burst: dict[AsyncSubscription, list[Event]] = {}
        for sub, event in self._take():
            burst.setdefault(sub, []).append(event)
        for sub, events in burst.items():
            sub._put_all(events)


class AsyncSubscription:
    """Events for a coroutine on one loop, a burst at a time (``_LoopInbox``): ``get`` waits for
    the next, ``ready`` takes those already waiting. A slow reader loses the oldest beyond
    ``maxsize``, never blocks the publisher."""

    def __init__(self, bus: InProcessBus, maxsize: int) -> None:
        self._bus = bus
        self._inbox = bus._inbox(asyncio.get_running_loop())
        self._events: collections.deque[Event] = collections.deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        self.dropped = 0

    def _put_all(self, events: list[Event]) -> None:
        self._events.extend(events)
        over = len(self._events) - self._maxsize
        if over > 0:
            for _ in range(over):
                self._events.popleft()
            self.dropped += over
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _deliver(self, event: Event) -> None:
        self._inbox.post(self, event)

    async def get(self) -> Event:
        while not self._events:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.popleft()

    def ready(self, limit: int) -> list[Event]:
        """Up to ``limit`` more events that are already waiting (none awaited)."""
        out: list[Event] = []
        while self._events and len(out) < limit:
            out.append(self._events.popleft())
        return out

    def close(self) -> None:
        self._bus._remove(self)


class InProcessBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[SyncSubscription | AsyncSubscription] = []
        self._inboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopInbox] = (
            weakref.WeakKeyDictionary()
        )
        self.published = 0

    def _inbox(self, loop: asyncio.AbstractEventLoop) -> _LoopInbox:
        with self._lock:
            inbox = self._inboxes.get(loop)
            if inbox is None:
                inbox = self._inboxes[loop] = _LoopInbox(self, loop)
            return inbox

    def publish(self, event: Event) -> None:
        with self._lock:
            subs = list(self._subs)
            self.published += 1
        for sub in subs:
            sub._deliver(event)

    def subscribe(self, maxsize: int = 1000) -> SyncSubscription:
        sub = SyncSubscription(self, maxsize)
        with self._lock:
            self._subs.append(sub)
        return sub

    def subscribe_async(self, maxsize: int = 1000) -> AsyncSubscription:
        sub = AsyncSubscription(self, maxsize)
        with self._lock:
            self._subs.append(sub)
        return sub

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def _remove(self, sub: SyncSubscription | AsyncSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def __repr__(self) -> str:
        return f"InProcessBus(subscribers={len(self._subs)})"
