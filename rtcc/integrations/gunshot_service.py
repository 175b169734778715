"""Receiving a gunshot alert (signed, versioned, covered, bookmarked) and recording what it led
to. Functions flush; the caller owns the transaction and publishes events after the commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.config import GunshotSettings
from rtcc.errors import NotFoundError
from rtcc.integrations.coverage import bookmark, covering_cameras
from rtcc.integrations.gunshot import GunshotAlertIn, parse_alert, store_version, versions
from rtcc.integrations.signing import Signed, remember
from rtcc.models import GunshotAlert, GunshotBookmark, GunshotOutcome
from rtcc.schemas.integrations import CoveringOut, GunshotAlertOut


@dataclass(frozen=True)
class Received:
    alert: GunshotAlert
    out: GunshotAlertOut  # the ``gunshot`` event's fields
    new_bookmarks: list[GunshotBookmark]  # covering cameras not bookmarked by earlier versions


def receive(
    session: Session, *, signed: Signed, cfg: GunshotSettings, max_skew_s: float, now: datetime
) -> Received:
    """Validate (422), refuse a replay (401), store the new version, bookmark covering cameras."""
    alert, data = parse_alert(signed.body)
    remember(session, signed, now=now, max_skew_s=max_skew_s)
    return store(session, alert=alert, data=data, source=signed.source, cfg=cfg, now=now)


def store(
    session: Session, *, alert: GunshotAlertIn, data: dict[str, Any], source: str,
    cfg: GunshotSettings, now: datetime,
) -> Received:
    row = store_version(session, alert=alert, source=source, payload=data, now=now)
    covering = covering_cameras(
        session, spot=alert.spot, radius_m=cfg.cover_radius_m, at=alert.detected_at
    )
    marks = bookmark(session, alert=row, covering=covering, cfg=cfg, now=now)
    out = GunshotAlertOut.of(row, [
        CoveringOut(camera_id=c.camera_id, name=c.name, distance_m=round(c.distance_m, 1))
        for c in covering
    ])
    return Received(row, out, marks)


def latest(session: Session, *, source: str, alert_id: str) -> GunshotAlert:
    rows = versions(session, source=source, alert_id=alert_id)
    if not rows:
        raise NotFoundError(f"no gunshot alert {alert_id!r} from {source!r}")
    return rows[-1]


def record_outcome(
    session: Session, *, source: str, alert_id: str, evidence_found: bool,
    case_number: str | None, note: str | None, actor: audit.Actor, now: datetime,
) -> GunshotOutcome:
    """Append what the alert led to (audited); earlier outcomes stay."""
    latest(session, source=source, alert_id=alert_id)
    row = GunshotOutcome(
        source=source, alert_id=alert_id, evidence_found=evidence_found,
        case_number=case_number, note=note, recorded_by=actor.username or "unknown",
        recorded_at=now,
    )
    session.add(row)
    audit.record(
        session, now=now, actor=actor, action="gunshot.outcome",
        target=f"gunshot:{source}:{alert_id}"[:200], case_number=case_number,
        details={"evidence_found": evidence_found},
    )
    session.flush()
    return row


def outcomes(session: Session, *, source: str, alert_id: str) -> list[GunshotOutcome]:
    return list(session.scalars(
        select(GunshotOutcome)
        .where(GunshotOutcome.source == source, GunshotOutcome.alert_id == alert_id)
        .order_by(GunshotOutcome.recorded_at, GunshotOutcome.id)
    ))
