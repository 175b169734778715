"""The figures the system computes itself for a window: plain counts over the tables.

Every function takes the window ``[start, end)`` and returns raw values; ``report`` wraps each
with its window and the audit checkpoint. Nothing here is typed in by a person. Counts of rows
that retention deletes (reads, hits, video segments, camera status) and of searches come from
the daily usage tallies for closed days plus live counts for the open tail
(``rtcc.usage_tally``), so a report stays the same after retention purges the rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rtcc import usage_tally
from rtcc.models import (
    AuditEvent,
    Camera,
    EvidenceExport,
    GunshotAlert,
    GunshotOutcome,
    HotlistEntry,
    LegalHold,
    OutboundDelivery,
)
from rtcc.usage_tally import Key, by_key, total
from rtcc.vocab import HitStatus

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


def usage(session: Session, w: Window) -> Counter[Key]:
    """The tallied counts over the window: daily tallies for closed days (which survive
    retention), live counts for the open tail (see ``rtcc.usage_tally``)."""
    return usage_tally.totals(session, w.start, w.end)


def reads_and_hits(
    session: Session, w: Window, counts: Counter[Key] | None = None,
) -> dict[str, Any]:
    c = usage(session, w) if counts is None else counts
    reads = total(c, "lpr", "reads")
    unmatched = total(c, "lpr", "reads_without_hit")
    status = by_key(c, "lpr", "hits")
    return {
        "reads": reads,
        "reads_without_hit": unmatched,
        "no_match_share": round(unmatched / reads, 4) if reads else None,
        "hits": sum(status.values()),
        "confirmed": status.get(HitStatus.CONFIRMED, 0),
        "rejected": status.get(HitStatus.REJECTED, 0),
        "rejected_by_reason": by_key(c, "lpr", "hits_rejected"),
        "acknowledged": status.get(HitStatus.ACKNOWLEDGED, 0),
        "unhandled": status.get(HitStatus.NEW, 0),
    }


def searches(
    session: Session, w: Window, counts: Counter[Key] | None = None,
) -> dict[str, Any]:
    """Audited searches: done (by purpose, by role) and refused (prohibited purpose, ...)."""
    c = usage(session, w) if counts is None else counts
    return {
        "searches": total(c, "lpr", "searches_by_purpose"),
        "searches_by_purpose": by_key(c, "lpr", "searches_by_purpose"),
        "searches_by_role": by_key(c, "lpr", "searches_by_role"),
        "searches_refused": total(c, "lpr", "searches_refused"),
    }


def exports(counts: Counter[Key]) -> int:
    """Successful read exports (``reads.export`` audit events)."""
    return total(counts, "lpr", "exports")


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


def video(
    session: Session, w: Window, counts: Counter[Key] | None = None,
) -> dict[str, Any]:
    c = usage(session, w) if counts is None else counts
    exported = _count(session, select(EvidenceExport.id).where(
        EvidenceExport.created_at >= w.start, EvidenceExport.created_at < w.end))
    return {"segments": total(c, "video", "segments"),
            "recorded_hours": round(total(c, "video", "recorded_us") / 3.6e9, 2),
            "evidence_exports": exported}


def uptime(session: Session, w: Window, counts: Counter[Key] | None = None) -> float | None:
    """Share of camera-time in an up state over the window, from the status history."""
    c = usage(session, w) if counts is None else counts
    known = total(c, "video", "camera_known_us")
    return round(total(c, "video", "camera_up_us") / known, 4) if known else None


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
