"""Process logging, configured once by the entry point (``rtcc.cli``) with ``log_level``.

Libraries and services only ever call ``logging.getLogger(__name__)``; camera worker processes
send their records to the parent (``cameras.logs``) at the level the parent passes them.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "rtcc"


def level_number(name: str) -> int:
    """``"DEBUG"`` -> 10 (ValueError on a name logging does not know)."""
    value = logging.getLevelName(name.upper())
    if not isinstance(value, int):
        raise ValueError(f"unknown log level {name!r}")
    return value


def configure_logging(level: str) -> None:
    """Install a stderr handler on the root logger unless it has one, and set its level.

    Idempotent; a host that already configured handlers (pytest, an embedding app) keeps them.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(level_number(level))
