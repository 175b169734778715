from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import func, select, text

from rtcc import __version__
from rtcc.models import Camera
from web.deps import ServicesDep, SessionDep
from web.security import require

router = APIRouter()


@router.get("/api/health", dependencies=[Depends(require("public"))])
def health(services: ServicesDep, session: SessionDep) -> dict[str, Any]:
    session.execute(text("SELECT 1"))
    states = dict(
        session.execute(select(Camera.state, func.count()).group_by(Camera.state)).all()
    )
    return {
        "status": "ok",
        "version": __version__,
        "time": services.clock.now().isoformat(),
        "database": services.engine.dialect.name,
        "cameras": states,
        "hotlist_entries": services.matcher.index.size,
    }
