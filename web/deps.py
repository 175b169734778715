"""Typed dependencies: the shared services and a per-request session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from rtcc.runtime.services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def get_session(services: Annotated[Services, Depends(get_services)]) -> Iterator[Session]:
    """A session per request; the route commits what it changes."""
    session = services.sessions()
    try:
        yield session
    finally:
        session.close()


ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[Session, Depends(get_session)]

# Database ids in paths: positive and inside BIGINT, so a huge number is a 422, never a 500.
IdPath = Annotated[int, Path(ge=1, le=2**62)]
