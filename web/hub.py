"""``/ws/events``: forwards bus events to one signed-in user, filtered by role and assignments.

What each user receives is decided by ``rtcc.auth.visibility.sees_event`` (the same rule as the
REST routes): the event type's permission, the event's camera and, for hits, its hotlist; then
``redact_event`` removes the cameras the user may not see from what the event names. The
filter sees only the event's envelope (``Event.envelope()``: type, camera, list). Anything on the
bus that is not one of the typed events is dropped; what is sent is ``rtcc.events.encode`` — the
same JSON a bus between hosts carries, and the same fields as the REST read models.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rtcc.auth.principal import Principal
from rtcc.auth.visibility import Scope, redact_event, restricted_list_ids, scope_of, sees_event
from rtcc.events import EVENT_CLASSES, Event, EventBus, SystemAlertEvent, encode
from rtcc.runtime.spool import database_unavailable

# Every event class the console may receive; anything else on the bus is dropped.
KNOWN_EVENTS = tuple(EVENT_CLASSES.values())
BURST = 255  # events taken at once from a socket's queue (one frame with ``batch``)


class Frames:
    """The JSON text of each event, made once however many consoles it goes to: every console's
    pump gets the same event object from the bus, so the text is kept by the object's identity
    for the last ``size`` events (a redacted copy is an object of its own, encoded on its own).
    All pumps run on the server's one event loop."""

    def __init__(self, size: int = 4096) -> None:
        self._recent: OrderedDict[int, tuple[Event, str]] = OrderedDict()
        self._views: OrderedDict[tuple[int, Scope], tuple[Event, frozenset[int], str | None]] = (
            OrderedDict()
        )
        self._size = size

    def view(self, event: Event, scope: Scope, lists: frozenset[int]) -> str | None:
        """What a console of ``scope`` is sent of ``event`` (None: nothing), decided once per
        event for all the consoles of one scope. ``scope`` comes without its user name
        (``shared_scope``): the event rules do not read it, so officers with the same roles and
        assignments share one decision. ``lists``: the restricted list ids it was decided on."""
        key = (id(event), scope)
        kept = self._views.get(key)
        if kept is not None and kept[0] is event and kept[1] is lists:
            return kept[2]
        text = (
            self.text(redact_event(scope, event))
            if sees_event(scope, event.envelope(), lists)
            else None
        )
        self._views[key] = (event, lists, text)
        if len(self._views) > 4 * self._size:
            self._views.popitem(last=False)
        return text

    def text(self, event: Event) -> str:
        kept = self._recent.get(id(event))
        if kept is not None and kept[0] is event:
            return kept[1]
        text = encode(event)
        self._recent[id(event)] = (event, text)  # the event held: its id is not reused meanwhile
        if len(self._recent) > self._size:
            self._recent.popitem(last=False)
        return text


def shared_scope(scope: Scope) -> Scope:
    """``scope`` without the user's name: what the event rules read, shared by like consoles."""
    return dataclasses.replace(scope, username=None)


class RestrictedLists:
    """The ids of restricted hotlists, re-read at most every ``ttl`` seconds."""

    def __init__(self, load: Callable[[], frozenset[int]], clock: Callable[[], float],
                 ttl: float = 5.0) -> None:
        self._load = load
        self._clock = clock
        self._ttl = ttl
        self._ids: frozenset[int] = frozenset()
        self._at: float | None = None

    @classmethod
    def of(cls, sessions: Callable[[], Session], clock: Callable[[], float]) -> RestrictedLists:
        """Read from the database through ``sessions``."""

        def load() -> frozenset[int]:
            with sessions() as session:
                return restricted_list_ids(session)

        return cls(load, clock)

    async def get(self) -> frozenset[int]:
        now = self._clock()
        if self._at is None or now - self._at >= self._ttl:
            self._ids = await asyncio.to_thread(self._load)
            self._at = now
        return self._ids


async def stream_events(
    websocket: WebSocket,
    bus: EventBus,
    *,
    principal: Principal,
    restricted: RestrictedLists,
    guard: Callable[[], Awaitable[int | None]] | None = None,
    frames: Frames | None = None,
    batch: bool = False,
) -> None:
    """``guard`` (``web.security.SocketGuard``) is asked before each push: a close code means the
    session ended or the user's permissions changed, and the socket is closed with it.
    ``frames``: the app's ``Frames``, shared by its consoles (one of its own when not given).
    ``batch`` (the console asks with ``?batch=1``): the events already waiting when the socket
    is written go out as one frame, a JSON array, instead of a frame each (at a thousand cameras'
    reads, the frames, not the events, are what a server and a browser spend their time on).
    Nothing waits to fill a batch: the first event of a burst is sent as soon as it arrives."""
    frames = frames or Frames()
    await websocket.accept()
    scope = scope_of(principal)
    shared = shared_scope(scope)
    sub = bus.subscribe_async()
    await websocket.send_json({"type": "hello", "username": principal.username})

    async def pump() -> None:
        while True:
            first = await sub.get()
            texts: list[str] = []
            # Read when needed (alerts go out without it); None: the database is away.
            lists: frozenset[int] | None = None
            looked = False
            for event in [first, *sub.ready(BURST)]:
                if not isinstance(event, KNOWN_EVENTS):
                    continue  # fail closed: what we cannot name never reaches a browser
                if isinstance(event, SystemAlertEvent):  # after what came before it
                    sent = await push(websocket, texts, guard, batch)
                    if not sent or not await send_system_alert(websocket, scope, event, guard):
                        return
                else:
                    if not looked:
                        lists, looked = await _lists(restricted), True
                    text = frames.view(event, shared, lists) if lists is not None else None
                    if text is not None:
                        texts.append(text)
            if not await push(websocket, texts, guard, batch):
                return

    async def drain() -> None:
        # Reading is how a closed connection is noticed; clients send nothing we need.
        while True:
            await websocket.receive_text()

    tasks = [asyncio.create_task(pump()), asyncio.create_task(drain())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sub.close()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await t


async def _lists(restricted: RestrictedLists) -> frozenset[int] | None:
    """The restricted list ids; None while the database cannot be reached (what would need
    them is not sent: fail closed, the socket stays open for the outage's alert)."""
    try:
        return await restricted.get()
    except SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        return None


AWAY = object()  # the guard's answer while the database cannot be reached


async def _ask(guard: Callable[[], Awaitable[int | None]] | None) -> int | None | object:
    """The guard's close code (None: all is well), or ``AWAY`` when the database it reads
    cannot be reached; other database errors are raised."""
    try:
        return await guard() if guard is not None else None
    except SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        return AWAY


async def push(
    websocket: WebSocket,
    texts: list[str],
    guard: Callable[[], Awaitable[int | None]] | None,
    batch: bool,
) -> bool:
    """Send ``texts`` (one frame, a JSON array, with ``batch``) once the guard allows; empties
    ``texts``. False when the socket was closed. While the database cannot be reached the guard
    cannot re-check the credential: the texts are dropped (fail closed), the socket stays open
    (``send_system_alert`` tells it about the outage)."""
    if not texts:
        return True
    code = await _ask(guard)
    if code is AWAY:
        texts.clear()
        return True
    if isinstance(code, int):
        await websocket.close(code=code)
        return False
    if batch and len(texts) > 1:
        await websocket.send_text("[" + ",".join(texts) + "]")
    else:
        for text in texts:
            await websocket.send_text(text)
    texts.clear()
    return True


async def send_system_alert(
    websocket: WebSocket,
    scope: Scope,
    event: SystemAlertEvent,
    guard: Callable[[], Awaitable[int | None]] | None,
) -> bool:
    """A system alert names no camera or list. The one saying the database is unreachable must
    reach a socket opened by a verified user even though the credential cannot be re-checked
    then: the guard's database errors are tolerated for it (any other verdict still closes).
    False when the socket was closed."""
    if not sees_event(scope, event.envelope(), frozenset()):
        return True
    code = await _ask(guard)
    if isinstance(code, int):  # AWAY: sent all the same (the alert may be about that)
        await websocket.close(code=code)
        return False
    await websocket.send_text(encode(event))
    return True
