"""``/ws/events``: forwards bus events to one browser as JSON messages."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import WebSocket, WebSocketDisconnect

from rtcc.events import EventBus


async def stream_events(websocket: WebSocket, bus: EventBus) -> None:
    await websocket.accept()
    sub = bus.subscribe_async()
    await websocket.send_json({"type": "hello"})

    async def pump() -> None:
        while True:
            event = await sub.get()
            await websocket.send_json(event.to_message())

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
