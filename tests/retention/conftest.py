from __future__ import annotations

from typing import Any

import pytest

from retention.executor import Executor
from rtcc.runtime.services import Services


@pytest.fixture
def make_executor() -> Any:
    def build(services: Services, **overrides: Any) -> Executor:
        settings = services.settings.retention.model_copy(update=overrides)
        return Executor(
            sessions=services.sessions,
            settings=settings,
            data_dir=services.settings.data_dir,
            clock=services.clock,
        )

    return build
