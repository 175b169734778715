"""Integration tests: services with a signed gunshot source and a signed trailer source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rtcc.clock import FakeClock
from rtcc.runtime.services import Services, build_services
from tests.support.integrations import integration_settings


@pytest.fixture
def services(make_settings: Any, db_url: str, clock: FakeClock) -> Iterator[Services]:
    """Like the shared fixture, with signed gunshot and trailer sources configured."""
    svc = build_services(
        make_settings(database={"url": db_url}, integrations=integration_settings()), clock=clock
    )
    try:
        yield svc
    finally:
        svc.engine.dispose()
