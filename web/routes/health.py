from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from rtcc import __version__, storage
from rtcc.auth.principal import Principal
from rtcc.models import Camera
from rtcc.runtime.spool import database_unavailable
from rtcc.schemas.system import HealthOut, StorageOut
from rtcc.storage import MIB
from web.deps import ServicesDep, SessionDep
from web.security import optional_user, require

router = APIRouter()


def _caller(conn: HTTPConnection) -> Principal | None:
    """The signed-in caller, or None; None too while the database cannot tell who it is."""
    try:
        return optional_user(conn)
    except SQLAlchemyError as exc:
        if database_unavailable(exc):
            return None
        raise


def _reachable(session: Session) -> bool:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        if database_unavailable(exc):
            return False
        raise
    return True


@router.get(
    "/api/health",
    dependencies=[Depends(require("public"))],
    response_model=HealthOut,
)
def health(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: Annotated[Principal | None, Depends(_caller)],
) -> HealthOut:
    """Up or degraded for anyone; versions, cameras, list sizes and storage only for signed-in
    users. Degraded: the data folder is under its free-space minimum, full or not writable, or
    the database cannot be reached (reads wait in the local spool: ``queued``). When it cannot
    even be read, no caller can be verified as signed in: everyone gets the anonymous answer."""
    runtime = request.app.state.runtime  # its ingest spool knows whether writes get through
    reachable = _reachable(session)
    db_ok = reachable and not (runtime is not None and runtime.database_unreachable())
    min_free = services.settings.storage.min_free_mb * MIB
    disk = storage.check(services.settings.data_dir, min_free_bytes=min_free)
    status = "ok" if disk.ok and db_ok else "degraded"
    if user is None:
        return HealthOut(status=status)
    states = (
        dict(session.execute(select(Camera.state, func.count()).group_by(Camera.state)).all())
        if reachable
        else {}
    )
    return HealthOut(
        status=status,
        version=__version__,
        time=services.clock.now(),
        database=services.engine.dialect.name if db_ok else "unreachable",
        queued=runtime.spooled() if runtime is not None else None,
        cameras={str(state): int(n) for state, n in states.items()} if reachable else None,
        hotlist_entries=services.matcher.index.size,
        storage=StorageOut(
            state=disk.state,
            free_bytes=disk.free_bytes,
            min_free_bytes=min_free,
            path=str(disk.path),
            detail=disk.detail,
        ),
    )
