"""``/ws/events``: forwards bus events to one signed-in user, filtered by role and assignments.

Reads need ``reads:live``, hits ``hits:view``, camera status ``cameras:view``. Any event that
names a ``camera_id`` or ``hotlist_id`` is only sent to users who may see that camera or list:
officers see their assigned cameras/lists, and restricted lists reach only users assigned to
them (and supervisors).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from rtcc.auth.principal import Principal
from rtcc.events import EventBus

EVENT_PERMISSIONS = {
    "read": "reads:live",
    "hit": "hits:view",
    "hit_updated": "hits:view",
    "camera_status": "cameras:view",
}


def visible(message: dict[str, Any], principal: Principal, restricted: frozenset[int]) -> bool:
    """Whether ``principal`` may receive this event message (``type`` plus payload fields)."""
    needed = EVENT_PERMISSIONS.get(str(message.get("type")))
    if needed is not None and not principal.can(needed):
        return False
    if "camera_id" in message and not principal.sees_camera(message.get("camera_id")):
        return False
    if "hotlist_id" in message:
        hotlist_id = message.get("hotlist_id")
        if not principal.sees_hotlist(hotlist_id, restricted=hotlist_id in restricted):
            return False
    return True


class RestrictedLists:
    """The ids of restricted hotlists, re-read at most every ``ttl`` seconds."""

    def __init__(self, load: Callable[[], frozenset[int]], clock: Callable[[], float],
                 ttl: float = 5.0) -> None:
        self._load = load
        self._clock = clock
        self._ttl = ttl
        self._ids: frozenset[int] = frozenset()
        self._at: float | None = None

    async def get(self) -> frozenset[int]:
        now = self._clock()
        if self._at is None or now - self._at >= self._ttl:
            self._ids = await asyncio.to_thread(self._load)
            self._at = now
        return self._ids


async def stream_events(
    websocket: WebSocket, bus: EventBus, *, principal: Principal, restricted: RestrictedLists
) -> None:
    await websocket.accept()
    sub = bus.subscribe_async()
    await websocket.send_json({"type": "hello", "username": principal.username})

    async def pump() -> None:
        while True:
            message = (await sub.get()).to_message()
            if visible(message, principal, await restricted.get()):
                await websocket.send_json(message)

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
