"""Property-based requests from the OpenAPI schema, authenticated: no 5xx, documented shapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from rtcc.audit import SYSTEM
from rtcc.auth import tokens, users
from rtcc.runtime.services import Services
from web.app import create_app

BOT = "schemathesis-bot"
ALL_ROLES = ["admin", "supervisor", "detective", "auditor"]
EXAMPLES = 3  # per operation: keeps the run bounded (shared CI cores)


@pytest.fixture
def fuzz_app(sqlite_services: Services) -> Iterator[Any]:
    with sqlite_services.sessions() as s:
        users.create_user(s, username=BOT, roles=ALL_ROLES, password=None,
                          now=sqlite_services.clock.now(), actor=SYSTEM, min_password_length=12)
        s.commit()
    yield create_app(sqlite_services)


def _fresh_token(app: Any) -> str:
    """A new token per case: a generated DELETE /api/tokens/{id} may revoke the previous one."""
    services: Services = app.state.services
    with services.sessions() as s:
        _, secret = tokens.issue(s, username=BOT, now=services.clock.now(), actor=SYSTEM)
        s.commit()
    return secret


CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.mark.slow
def test_api_never_fails_on_generated_input(fuzz_app: Any) -> None:
    schema = schemathesis.openapi.from_asgi(  # the schema needs a sign-in outside development
        "/openapi.json", fuzz_app, headers={"Authorization": f"Bearer {_fresh_token(fuzz_app)}"}
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures = []
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {_fresh_token(fuzz_app)}"})
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
