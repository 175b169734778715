"""The one stop signal every worker loop waits on, safe against workers killed with SIGKILL.

``multiprocessing.Event`` keeps a count of sleepers behind semaphores: a worker killed while
waiting leaves that count wrong and a later ``set()`` can block forever. A lock-free shared byte
that waits poll has no such failure mode; 20 ms polling is cheap and precise enough for pacing.
"""

from __future__ import annotations

import threading
import time
from typing import Any

POLL_S = 0.02


class StopFlag:
    def __init__(self, ctx: Any) -> None:
        self._value = ctx.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def is_set(self) -> bool:
        return bool(self._value.value)

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds (forever if None); True as soon as the flag is set."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._value.value:
            if deadline is None:
                time.sleep(POLL_S)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_S, left))
        return True


class Outbox:
    """The worker's end of its pipe to the core process (``put`` like a queue). Safe from
    several threads (a camera with a substream records on a second one): a pipe's ``send``
    is not, two messages could interleave."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def put(self, message: object) -> None:
        with self._lock:
            self._conn.send(message)
