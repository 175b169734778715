from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from rtcc.api.deps import SessionDep
from rtcc.models import Hit, PlateRead
from rtcc.runtime.payloads import hit_payload

router = APIRouter()


@router.get("/api/hits")
def list_hits(
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(new|acknowledged|confirmed|rejected)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    stmt = (
        select(Hit, PlateRead)
        .outerjoin(PlateRead, PlateRead.id == Hit.read_id)
        .order_by(Hit.priority.desc(), Hit.created_at.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(Hit.status == status)
    items = [hit_payload(h, r) for h, r in session.execute(stmt)]
    return {"items": items, "count": len(items)}
