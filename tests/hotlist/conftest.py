"""Hotlist fixtures; the data helpers are in ``tests.support.hotlists``."""

from __future__ import annotations

from typing import Any

import pytest

from rtcc.runtime.services import Services


@pytest.fixture
def bus_events(services: Services) -> Any:
    sub = services.bus.subscribe()

    def drain() -> list[Any]:
        out = []
        while True:
            try:
                out.append(sub.get(timeout=0))
            except Exception:  # noqa: BLE001 - queue.Empty
                return out

    yield drain
    sub.close()
