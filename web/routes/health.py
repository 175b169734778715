from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import func, select, text

from rtcc import __version__
from rtcc.models import Camera
from rtcc.schemas.system import HealthOut
from web.deps import ServicesDep, SessionDep
from web.security import MaybeUser, require

router = APIRouter()


@router.get(
    "/api/health", dependencies=[Depends(require("public"))],
    response_model=HealthOut,
)
def health(services: ServicesDep, session: SessionDep, user: MaybeUser) -> HealthOut:
    """Up or down for anyone; versions, cameras and list sizes only for signed-in users."""
    session.execute(text("SELECT 1"))
    if user is None:
        return HealthOut(status="ok")
    states = dict(
        session.execute(select(Camera.state, func.count()).group_by(Camera.state)).all()
    )
    return HealthOut(
        status="ok",
        version=__version__,
        time=services.clock.now(),
        database=services.engine.dialect.name,
        cameras={str(state): int(n) for state, n in states.items()},
        hotlist_entries=services.matcher.index.size,
    )
