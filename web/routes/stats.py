"""Activity figures for the auditor's console: plate reads and hits per UTC day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from rtcc.models import Hit, PlateRead
from rtcc.schemas.system import DailyOut, DayCount
from web.deps import ServicesDep, SessionDep
from web.security import VisibleScope, require

router = APIRouter(tags=["stats"])


def _day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, as the database computes it."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite keeps UTC text; date() takes its first 10 characters


def _per_day(
    session: Session, column: Any, since: date, visible: ColumnElement[bool]
) -> dict[str, int]:
    day = _day(session, column)
    rows = session.execute(
        select(day, func.count())
        .where(column >= datetime.combine(since, time(), tzinfo=UTC), visible)
        .group_by(day)
    ).all()
    return {str(d)[:10]: int(n) for d, n in rows}


@router.get(
    "/api/stats/daily", dependencies=[Depends(require("audit:view"))],
    response_model=DailyOut,
)
def daily(
    services: ServicesDep,
    session: SessionDep,
    scope: VisibleScope,
    days: Annotated[int, Query(ge=1, le=366)] = 14,
) -> DailyOut:
    """Reads and hits per day, counting what the caller may see (``rtcc.auth.visibility``)."""
    today = services.clock.now().date()
    since = today - timedelta(days=days - 1)
    reads = _per_day(session, PlateRead.observed_at, since, scope.reads())
    hits = _per_day(session, Hit.observed_at, since, scope.hits())
    out = []
    for i in range(days):
        key = (since + timedelta(days=i)).isoformat()
        out.append(DayCount(day=key, reads=reads.get(key, 0), hits=hits.get(key, 0)))
    return DailyOut(days=out, since=since.isoformat(), until=today.isoformat())
