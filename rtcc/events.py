"""The event bus: reads, hits and camera status flow through it to the websocket hub.

``EventBus`` is the small interface; ``InProcessBus`` is the implementation used when everything
runs on one host. A Redis Streams or NATS bus can implement the same three methods.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_message(self) -> dict[str, Any]:
        return {"type": self.type, **self.data}


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


class AsyncSubscription:
    def __init__(self, bus: InProcessBus, maxsize: int) -> None:
        self._bus = bus
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def _put(self, event: Event) -> None:
        if self._queue.full():
            # A slow browser loses the oldest events, never blocks the pipeline.
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    def _deliver(self, event: Event) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # loop closed
            self._bus._remove(self)

    async def get(self) -> Event:
        return await self._queue.get()

    def close(self) -> None:
        self._bus._remove(self)


class InProcessBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[SyncSubscription | AsyncSubscription] = []
        self.published = 0

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

    def _remove(self, sub: SyncSubscription | AsyncSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def __repr__(self) -> str:
        return f"InProcessBus(subscribers={len(self._subs)})"
