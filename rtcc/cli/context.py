"""How every ``rtcc`` command opens what it needs, and who it acts as.

One pattern for every command module (``rtcc/cli/<name>_cmd.py``)::

    def register(sub, add_config):
        p = sub.add_parser("thing", help="...")
        add_config(p)                      # --config FILE
        p.set_defaults(func=_run)

    def _run(args: argparse.Namespace) -> int:
        with cli_context(args) as ctx:     # settings, logging, services (lazy), actor
            with transaction(ctx.sessions) as session:
                do_thing(session, now=ctx.clock.now(), actor=ctx.actor)
        return 0

``ctx.settings`` is loaded once from ``--config`` (and ``RTCC_*``); logging is configured with
``log_level``; ``ctx.services`` (engine, migrations, clock, bus) is built on first use and
disposed when the block ends. ``ctx.actor`` is the operator, ``cli:<os user>``, recorded the same
way in the audit trail by every command. Typed errors (``rtcc.errors``) raised inside the block
become one line on stderr and exit code 2 in ``rtcc.cli.main``.
"""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from rtcc.audit import Actor
from rtcc.clock import Clock
from rtcc.config import Settings, load_settings
from rtcc.events import EventBus
from rtcc.logs import configure_logging
from rtcc.runtime.services import Services, build_services

CLI_ROLE = "cli"


def operator_name() -> str:
    """The OS account running the command (the uid when it has no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def cli_actor() -> Actor:
    """The identity every command records: ``cli:<os user>``, source ``cli``."""
    return Actor(
        username=f"cli:{operator_name()}", roles=(CLI_ROLE,), source="cli", credential="cli"
    )


@dataclass
class CliContext:
    settings: Settings
    actor: Actor
    _services: Services | None = field(default=None, repr=False)

    @property
    def services(self) -> Services:
        """Engine, migrated schema, clock and bus (built on first use)."""
        return self.open()

    def open(self, *, bus: EventBus | None = None) -> Services:
        """Build the services once (``bus``: a bus the command made, e.g. the server's)."""
        if self._services is None:
            self._services = build_services(self.settings, bus=bus)
        return self._services

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.services.sessions

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def close(self) -> None:
        if self._services is not None:
            self._services.engine.dispose()
            self._services = None


@contextmanager
def cli_context(
    args: argparse.Namespace, *, overrides: dict[str, Any] | None = None
) -> Iterator[CliContext]:
    """Settings from ``args.config``, logging configured, services opened lazily and closed."""
    settings = load_settings(getattr(args, "config", None), overrides=overrides)
    configure_logging(settings.log_level)
    ctx = CliContext(settings=settings, actor=cli_actor())
    try:
        yield ctx
    finally:
        ctx.close()
