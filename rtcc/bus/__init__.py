"""The event bus across hosts: NATS JetStream (selected by ``bus.url``).

Without ``bus.url`` everything stays in one process (``rtcc.events.InProcessBus``); nothing in
this package is imported then, and no NATS client is started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rtcc.config import Settings
from rtcc.events import EventBus, InProcessBus

if TYPE_CHECKING:
    from rtcc.bus.connection import NatsConnection


def make_bus(settings: Settings, *, connection: NatsConnection | None = None) -> EventBus:
    """The bus the settings ask for; a NATS bus is connected before it is returned.

    Raises :class:`rtcc.bus.connection.BusUnavailableError` when the server cannot be reached.
    """
    if not settings.bus.url:
        return InProcessBus()
    from rtcc.bus.connection import NatsConnection
    from rtcc.bus.natsbus import NatsBus

    conn = connection or NatsConnection.open(settings.bus)
    return NatsBus(conn, settings.bus).start()
