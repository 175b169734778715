"""One thread reads the pipes of many camera workers and hands their messages on in batches.

A camera supervisor relays its workers with one; a camera node (``rtcc node``) shares one among
the supervisors of all its cameras, so a node with 200 cameras has one relay thread, not 200.
Each wake-up reads what every ready pipe holds and hands it over in one call: a node stores
the batch in its outbox with one disk sync. A pipe that ends (its worker exited) is dropped
after its last messages were handed on, then its ``on_end`` runs. The pipes stay registered
with one selector (``multiprocessing.connection.wait`` would register every pipe again at each
wake-up: with hundreds of cameras, more work than the messages).
"""

from __future__ import annotations

import logging
import select
import selectors
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
PER_PIPE = 64  # messages read from one pipe per wake-up: a chatty worker cannot starve others

Deliver = Callable[[list[Any]], None]


class PipeRelay:
    def __init__(self, deliver: Deliver, *, name: str = "camera-relay", poll_s: float = 0.2):
        self.deliver = deliver
        self.name = name
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._pipes: dict[Any, Callable[[Any], None]] = {}  # reader -> on_end
        self._added: list[Any] = []  # registered with the selector by the relay thread
        # one poll object per pipe: ``Connection.poll`` builds a new selector at every call
        self._pollers: dict[Any, Any] = {}
        self._selector: selectors.BaseSelector | None = None
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, reader: Any, on_end: Callable[[Any], None]) -> None:
        """Relay ``reader`` until it ends; then call ``on_end(reader)`` (which closes it)."""
        with self._lock:
            self._pipes[reader] = on_end
            self._added.append(reader)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pipes)

    def start(self) -> PipeRelay:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            self._selector = selector
            while not self._halt.is_set():
                with self._lock:
                    added, self._added = self._added, []
                for reader in added:
                    selector.register(reader, selectors.EVENT_READ)
                if not selector.get_map():
                    self._halt.wait(self._poll_s)
                    continue
                self.relay_once([key.fileobj for key, _ in selector.select(self._poll_s)])
            self._selector = None

    def relay_once(self, ready: list[Any]) -> None:
        """Read the ``ready`` pipes, hand their messages on together, then end the closed."""
        batch: list[Any] = []
        ended = []
        for conn in ready:
            try:
                more = self._poller(conn)
                for _ in range(PER_PIPE):
                    batch.append(conn.recv())
                    if not more.poll(0):
                        break
            except (EOFError, OSError):
                ended.append(conn)
            except Exception:  # noqa: BLE001 - a garbled message from a killed worker
                log.exception("unreadable message from a camera worker")
                ended.append(conn)
        if batch:
            try:
                self.deliver(batch)
            except Exception:  # noqa: BLE001 - the relay outlives a failed hand-over
                log.exception("%s: %d message(s) not handed on", self.name, len(batch))
        for conn in ended:
            self._pollers.pop(conn, None)
            with self._lock:
                on_end = self._pipes.pop(conn, None)
            if self._selector is not None:
                self._selector.unregister(conn)
            if on_end is not None:
                on_end(conn)

    def _poller(self, conn: Any) -> Any:
        poller = self._pollers.get(conn)
        if poller is None:
            poller = self._pollers[conn] = select.poll()
            poller.register(conn.fileno(), select.POLLIN)
        return poller

    def stop(self, timeout: float = 10.0) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout)
