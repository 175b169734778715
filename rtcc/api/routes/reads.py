from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from rtcc.api.deps import SessionDep
from rtcc.models import PlateRead
from rtcc.plates import validate_plate
from rtcc.runtime.payloads import read_payload

router = APIRouter()


@router.get("/api/reads")
def search_reads(
    session: SessionDep,
    plate: Annotated[str | None, Query(max_length=20)] = None,
    camera_id: Annotated[str | None, Query(max_length=64)] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    stmt = select(PlateRead).order_by(PlateRead.observed_at.desc()).limit(limit)
    if plate:
        stmt = stmt.where(PlateRead.plate == validate_plate(plate))
    if camera_id:
        stmt = stmt.where(PlateRead.camera_id == camera_id)
    if start:
        stmt = stmt.where(PlateRead.observed_at >= start)
    if end:
        stmt = stmt.where(PlateRead.observed_at < end)
    items = [read_payload(r) for r in session.scalars(stmt)]
    return {"items": items, "count": len(items)}
