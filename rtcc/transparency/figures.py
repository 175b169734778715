"""The figures the system computes itself for a window: plain counts over the tables.

Every function takes the window ``[start, end)`` and returns raw values; ``report`` wraps each
with its window and the audit checkpoint. Nothing here is typed in by a person.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from rtcc.models import (
    AuditEvent,
    Camera,
    CameraStatus,
    EvidenceExport,
    GunshotAlert,
    GunshotOutcome,
    Hit,
    HotlistEntry,
    LegalHold,
    OutboundDelivery,
    PlateRead,
    VideoSegment,
)
from rtcc.vocab import CAMERA_UP_STATES, HitStatus

SEARCH_ACTION = "reads.search"
LPR_EVENTS = ("hit", "hit_updated")
LPR_HOLD_CLASSES = ("plate_reads", "hits", "hit_reads")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def units(session: Session, *, lpr_only: bool) -> dict[str, Any]:
    """Enabled cameras now, by type (fixed / mobile) and by site."""
    stmt = select(Camera.mobile, Camera.site).where(Camera.enabled.is_(True))
    if lpr_only:
        stmt = stmt.where(Camera.lpr.is_(True))
    rows = session.execute(stmt).all()
    by_type = Counter("mobile" if r.mobile else "fixed" for r in rows)
    by_site = Counter(r.site or "unassigned" for r in rows)
    return {"total": len(rows), "by_type": dict(sorted(by_type.items())),
            "by_site": dict(sorted(by_site.items()))}


def reads_and_hits(session: Session, w: Window) -> dict[str, Any]:
    in_window = and_(PlateRead.observed_at >= w.start, PlateRead.observed_at < w.end)
    reads = _count(session, select(PlateRead.id).where(in_window))
    unmatched = _count(session, select(PlateRead.id).where(
        in_window, ~exists().where(Hit.read_id == PlateRead.id)))
    hit_window = and_(Hit.observed_at >= w.start, Hit.observed_at < w.end)
    status = dict(session.execute(
        select(Hit.status, func.count()).where(hit_window).group_by(Hit.status)).all())
    reasons = dict(session.execute(
        select(Hit.reject_reason, func.count())
        .where(hit_window, Hit.status == HitStatus.REJECTED).group_by(Hit.reject_reason)
    ).all())
    return {
        "reads": reads,
        "reads_without_hit": unmatched,
        "no_match_share": round(unmatched / reads, 4) if reads else None,
        "hits": sum(status.values()),
        "confirmed": status.get(HitStatus.CONFIRMED, 0),
        "rejected": status.get(HitStatus.REJECTED, 0),
        "rejected_by_reason": {str(k or "unspecified"): v for k, v in sorted(
            reasons.items(), key=lambda kv: str(kv[0]))},
        "acknowledged": status.get(HitStatus.ACKNOWLEDGED, 0),
        "unhandled": status.get(HitStatus.NEW, 0),
    }


def searches(session: Session, w: Window) -> dict[str, Any]:
    """Audited searches: done (by purpose, by role) and refused (prohibited purpose, ...)."""
    rows = session.execute(
        select(AuditEvent.outcome, AuditEvent.role, AuditEvent.details)
        .where(AuditEvent.action == SEARCH_ACTION, AuditEvent.at >= w.start,
               AuditEvent.at < w.end)
    ).all()
    done = [r for r in rows if r.outcome == "success"]
    by_purpose = Counter(_purpose(r.details) for r in done)
    by_role = Counter(r.role or "unknown" for r in done)
    return {
        "searches": len(done),
        "searches_by_purpose": dict(sorted(by_purpose.items())),
        "searches_by_role": dict(sorted(by_role.items())),
        "searches_refused": len(rows) - len(done),
    }


def _purpose(details: Any) -> str:
    value = details.get("purpose") if isinstance(details, dict) else None
    return value if isinstance(value, str) and value else "unspecified"


def audit_actions(session: Session, w: Window, actions: Iterable[str]) -> int:
    return _count(session, select(AuditEvent.id).where(
        AuditEvent.action.in_(list(actions)), AuditEvent.outcome == "success",
        AuditEvent.at >= w.start, AuditEvent.at < w.end))


def sharing(session: Session, w: Window, event_types: Iterable[str]) -> dict[str, Any]:
    """Events delivered to outside systems (webhooks, MQTT): deliveries and destinations."""
    rows = session.execute(
        select(OutboundDelivery.destination, OutboundDelivery.event_key)
        .where(OutboundDelivery.ok.is_(True), OutboundDelivery.event_type.in_(list(event_types)),
               OutboundDelivery.at >= w.start, OutboundDelivery.at < w.end)
    ).all()
    return {"data_shared": len({(r.destination, r.event_key) for r in rows}),
            "sharing_destinations": len({r.destination for r in rows})}


def holds(session: Session, w: Window, classes: Iterable[str]) -> int:
    return _count(session, select(LegalHold.id).where(
        LegalHold.data_class.in_(list(classes)), LegalHold.created_at >= w.start,
        LegalHold.created_at < w.end))


def hotlist_entries(session: Session, w: Window) -> dict[str, int]:
    """Manual entries added in the window, and entries whose expiry fell in it."""
    manual = HotlistEntry.owner.is_not(None)
    added = _count(session, select(HotlistEntry.id).where(
        manual, HotlistEntry.added_at >= w.start, HotlistEntry.added_at < w.end))
    expired = _count(session, select(HotlistEntry.id).where(
        HotlistEntry.expires_at >= w.start, HotlistEntry.expires_at < w.end))
    return {"hotlist_manual_entries": added, "hotlist_entries_expired": expired}


def video(session: Session, w: Window) -> dict[str, Any]:
    seg = and_(VideoSegment.start_at >= w.start, VideoSegment.start_at < w.end)
    row = session.execute(select(func.count(), func.coalesce(func.sum(VideoSegment.bytes), 0))
                          .where(seg)).one()
    seconds = sum((r.end_at - r.start_at).total_seconds() for r in session.execute(
        select(VideoSegment.start_at, VideoSegment.end_at).where(seg)))
    exports = _count(session, select(EvidenceExport.id).where(
        EvidenceExport.created_at >= w.start, EvidenceExport.created_at < w.end))
    return {"segments": int(row[0]), "recorded_hours": round(seconds / 3600, 2),
            "evidence_exports": exports}


def uptime(session: Session, w: Window) -> float | None:
    """Share of camera-time in an up state over the window, from the status history."""
    up = total = 0.0
    cameras = session.scalars(select(Camera.id)).all()
    for cam in cameras:
        before = session.scalar(
            select(CameraStatus.state).where(CameraStatus.camera_id == cam,
                                             CameraStatus.at < w.start)
            .order_by(CameraStatus.at.desc()).limit(1))
        changes = session.execute(
            select(CameraStatus.state, CameraStatus.at).where(
                CameraStatus.camera_id == cam, CameraStatus.at >= w.start,
                CameraStatus.at < w.end).order_by(CameraStatus.at, CameraStatus.id)).all()
        state, since = before, w.start
        for change in changes:
            if state is not None:
                span = (change.at - since).total_seconds()
                total += span
                up += span if state in CAMERA_UP_STATES else 0.0
            state, since = change.state, change.at
        if state is not None:
            span = (w.end - since).total_seconds()
            total += span
            up += span if state in CAMERA_UP_STATES else 0.0
    return round(up / total, 4) if total else None


def gunshot(session: Session, w: Window) -> dict[str, Any]:
    """Alerts first detected in the window and their latest recorded outcome."""
    alerts = session.execute(
        select(GunshotAlert.source, GunshotAlert.alert_id).where(
            GunshotAlert.version == 1, GunshotAlert.detected_at >= w.start,
            GunshotAlert.detected_at < w.end)
    ).all()
    keys = {(a.source, a.alert_id) for a in alerts}
    latest: dict[tuple[str, str], bool] = {}
    for o in session.execute(select(GunshotOutcome.source, GunshotOutcome.alert_id,
                                    GunshotOutcome.evidence_found)
                             .order_by(GunshotOutcome.recorded_at, GunshotOutcome.id)):
        if (o.source, o.alert_id) in keys:
            latest[(o.source, o.alert_id)] = o.evidence_found
    return {
        "alerts": len(keys),
        "alerts_with_outcome": len(latest),
        "evidence_found": sum(1 for v in latest.values() if v),
        "no_evidence_found": sum(1 for v in latest.values() if not v),
        "sources_reporting": len({k[0] for k in keys}),
    }
