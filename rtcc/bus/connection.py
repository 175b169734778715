"""One NATS connection on its own event-loop thread, usable from plain threads.

Camera supervision, ingest and the web server are threads; the NATS client is asyncio. The
connection owns a private loop in a daemon thread; callers submit coroutines with :meth:`run`
(wait for the result) or :meth:`submit` (fire and forget). The client reconnects forever;
callbacks registered with :meth:`on_reconnect` run on the loop after every reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from rtcc.config import BusSettings
from rtcc.errors import RtccError

log = logging.getLogger(__name__)
T = TypeVar("T")


class BusUnavailableError(RtccError):
    status_code = 503
    code = "bus_unavailable"


def redact_servers(url: str) -> str:
    """``nats://user:pw@host:4222`` -> ``nats://***@host:4222`` (for logs and errors)."""
    out = []
    for part in url.split(","):
        scheme, sep, rest = part.strip().partition("://")
        if sep and "@" in rest:
            rest = "***@" + rest.rsplit("@", 1)[1]
        out.append(f"{scheme}{sep}{rest}")
    return ",".join(out)


class NatsConnection:
    def __init__(self, settings: BusSettings) -> None:
        if not settings.url:
            raise BusUnavailableError("bus.url is not set")
        self.settings = settings
        self.servers = [s.strip() for s in settings.url.split(",") if s.strip()]
        self._loop: asyncio.AbstractEventLoop | None = None  # made by start(): no side effects
        self._thread = threading.Thread(target=self._run_loop, name="nats", daemon=True)
        self._reconnect_cbs: list[Callable[[], Awaitable[None]]] = []
        self.nc: Client | None = None
        self.connected = threading.Event()
        self.reconnects = 0
        self._last_error: str | None = None

    @classmethod
    def open(cls, settings: BusSettings) -> NatsConnection:
        conn = cls(settings)
        conn.start()
        return conn

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise BusUnavailableError("the NATS connection was not started")
        return self._loop

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread.start()
        # The client retries forever once connected; the first connection gets one deadline.
        deadline = self.settings.connect_timeout_s * (len(self.servers) + 1)
        try:
            self.nc = self.run(asyncio.wait_for(self._connect(), deadline), timeout=deadline + 5)
        except Exception as exc:  # noqa: BLE001 - nats-py raises several types on refusal
            self.close()
            where = redact_servers(self.settings.url or "")
            reason = self._last_error or str(exc) or type(exc).__name__
            raise BusUnavailableError(
                f"bus.url: cannot reach NATS at {where} within {deadline:g} s: {reason}",
                field="bus.url",
            ) from None

    async def _connect(self) -> Client:
        async def disconnected() -> None:
            self.connected.clear()
            log.warning("NATS disconnected; buffering and reconnecting")

        async def reconnected() -> None:
            self.connected.set()
            self.reconnects += 1
            log.info("NATS reconnected")
            for cb in list(self._reconnect_cbs):
                try:
                    await cb()
                except Exception:  # noqa: BLE001 - one listener must not stop the others
                    log.exception("NATS reconnect handler failed")

        async def error(exc: Exception) -> None:
            self._last_error = str(exc) or type(exc).__name__
            log.debug("NATS: %s", exc)

        nc = await nats.connect(
            servers=self.servers,
            connect_timeout=int(max(1, self.settings.connect_timeout_s)),
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=error,
            name="rtcc",
        )
        self.connected.set()
        return nc

    @property
    def client(self) -> Client:
        if self.nc is None:
            raise BusUnavailableError("NATS is not connected")
        return self.nc

    def jetstream(self) -> JetStreamContext:
        return self.client.jetstream(timeout=5.0)

    def on_reconnect(self, cb: Callable[[], Awaitable[None]]) -> None:
        self._reconnect_cbs.append(cb)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 10.0) -> T:
        """Run ``coro`` on the connection's loop and wait for it (from any other thread)."""
        return self.submit(coro).result(timeout)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # loop closed: the process is stopping
            self.loop.call_soon_threadsafe(fn, *args)

    def close(self) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        if self.nc is not None and self._thread.is_alive():
            try:
                self.run(self.nc.close(), timeout=5.0)
            except Exception:  # noqa: BLE001 - closing a broken connection
                log.debug("NATS close failed", exc_info=True)
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.run(_cancel_tasks(), timeout=5.0)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5.0)
        if not self.loop.is_running():
            self.loop.close()

    def __repr__(self) -> str:
        return f"NatsConnection({redact_servers(self.settings.url or '')!r})"


async def _cancel_tasks() -> None:
    """Cancel what the client left running (subscription pumps) so the loop closes cleanly."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
