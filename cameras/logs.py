"""Worker logging goes to the core process over the worker's pipe, never straight to stderr.

The parent re-emits each record through its own logging set-up (configured once, in the entry
point). Messages are formatted in the child and scrubbed of URL credentials before they leave.
"""

from __future__ import annotations

import logging
import logging.handlers
from typing import Any

from cameras.sources import redact_url


class PipeLogHandler(logging.handlers.QueueHandler):
    """Sends prepared (picklable, already formatted) records through ``outbox.put``."""

    def __init__(self, outbox: Any) -> None:
        super().__init__(outbox)

    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue.put(record)  # type: ignore[attr-defined]  # an Outbox, not a Queue

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        prepared = super().prepare(record)
        prepared.msg = redact_url(str(prepared.msg))
        return prepared


def parent_level() -> int:
    """In the parent: the root level the entry point configured (what workers should log at)."""
    return logging.getLogger().getEffectiveLevel()


def log_to_parent(outbox: Any, level: int = logging.INFO) -> None:
    """In a worker: route every log record at ``level`` and above to the parent (replaces any
    other handler); the parent passes its own level (``parent_level``) in the worker's spec."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(PipeLogHandler(outbox))
    root.setLevel(level)


def replay(record: logging.LogRecord) -> None:
    """In the parent: hand a worker's record to this process's handlers."""
    logger = logging.getLogger(record.name)
    if logger.isEnabledFor(record.levelno):
        logger.handle(record)
