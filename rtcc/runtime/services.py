"""The collaborators every entry point shares, built once from the settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hotlist.matcher import Matcher
from rtcc import datadir
from rtcc.auth.passwords import use_profile
from rtcc.clock import Clock, SystemClock
from rtcc.config import Settings
from rtcc.db import make_engine, make_sessionmaker, migrate
from rtcc.errors import ConfigError
from rtcc.events import EventBus, InProcessBus


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    bus: EventBus
    matcher: Matcher
    # This instance among all those sharing the bus (the origin of the events it announces).
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    bus: EventBus | None = None,
    run_migrations: bool = True,
) -> Services:
    datadir.prepare(settings.data_dir)  # 0700, writable, or one clear ConfigError
    use_profile(settings.auth.password_hash or "standard")  # process-wide: new password hashes
    engine = make_engine(
        settings.database_url, echo=settings.database.echo, pool_size=settings.database.pool_size
    )
    if run_migrations:
        try:
            migrate(engine)
        except OperationalError as exc:  # e.g. a read-only database file or directory
            raise ConfigError(f"database: cannot open or migrate: {exc.orig}") from None
    datadir.private_database(settings.database_url)
    return Services(
        settings=settings,
        clock=clock or SystemClock(),
        engine=engine,
        sessions=make_sessionmaker(engine),
        bus=bus or InProcessBus(),
        matcher=Matcher(),
    )
