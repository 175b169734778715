"""Unusual search volume: a user's searches today far above their own daily baseline.

Baseline: the user's mean searches per day over the ``volume_baseline_days`` before today (UTC).
Alert when today's count reaches ``volume_min_searches`` and exceeds ``volume_factor`` times
the baseline (a user with no history has baseline 0: the minimum alone decides). One alert per
user and day; it stays until a supervisor or auditor acknowledges it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.config import OversightSettings
from rtcc.errors import ConflictError, NotFoundError
from rtcc.models import AuditEvent, SearchVolumeAlert

SEARCH_ACTION = "reads.search"


def _counts(session: Session, start: datetime, end: datetime) -> Counter[str]:
    rows = session.scalars(select(AuditEvent.username).where(
        AuditEvent.action == SEARCH_ACTION, AuditEvent.at >= start, AuditEvent.at < end,
        AuditEvent.username.is_not(None)))
    return Counter(r for r in rows if r)


def unusual(
    today: Counter[str], history: Counter[str], *, days: int, settings: OversightSettings
) -> dict[str, float]:
    """Pure decision: user -> baseline, for users whose count today is unusual."""
    out: dict[str, float] = {}
    for user, count in today.items():
        baseline = history.get(user, 0) / days
        if count >= settings.volume_min_searches and count > settings.volume_factor * baseline:
            out[user] = round(baseline, 2)
    return out


def check(
    session: Session, *, now: datetime, settings: OversightSettings
) -> list[SearchVolumeAlert]:
    """Raise today's new alerts (flushes; the caller commits). Returns the new ones."""
    day_start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    days = settings.volume_baseline_days
    today = _counts(session, day_start, now + timedelta(microseconds=1))
    history = _counts(session, day_start - timedelta(days=days), day_start)
    day = day_start.date().isoformat()
    known = set(session.scalars(select(SearchVolumeAlert.username)
                                .where(SearchVolumeAlert.day == day)))
    new: list[SearchVolumeAlert] = []
    for user, baseline in sorted(unusual(today, history, days=days, settings=settings).items()):
        if user in known:
            continue
        alert = SearchVolumeAlert(username=user, day=day, searches=today[user],
                                  baseline=baseline, created_at=now)
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            continue  # raised by another process meanwhile
        audit.record(session, now=now, actor=audit.SYSTEM, action="oversight.volume_alert",
                     target=f"user:{user}",
                     details={"day": day, "searches": today[user], "baseline": baseline})
        new.append(alert)
    return new


def alerts(
    session: Session, *, open_only: bool = False, limit: int = 200
) -> list[SearchVolumeAlert]:
    stmt = select(SearchVolumeAlert)
    if open_only:
        stmt = stmt.where(SearchVolumeAlert.acknowledged_at.is_(None))
    return list(session.scalars(stmt.order_by(SearchVolumeAlert.id.desc()).limit(limit)))


def acknowledge(
    session: Session, *, alert_id: int, actor: Actor, now: datetime
) -> SearchVolumeAlert:
    alert = session.get(SearchVolumeAlert, alert_id)
    if alert is None:
        raise NotFoundError(f"alert {alert_id} not found", field="alert_id")
    if alert.acknowledged_at is not None:
        raise ConflictError(f"alert {alert_id} already acknowledged by {alert.acknowledged_by}",
                            field="alert_id")
    alert.acknowledged_by, alert.acknowledged_at = actor.username, now
    session.flush()
    audit.record(session, now=now, actor=actor, action="oversight.volume_ack",
                 target=f"user:{alert.username}", details={"alert": alert.id})
    return alert
