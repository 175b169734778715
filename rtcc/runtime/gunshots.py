"""Gunshot alerts as the runtime composes them: received and bookmarked by
``rtcc.integrations``, and each new bookmark's recordings held from retention for
``integrations.gunshot.bookmark_hold_days`` (a legal hold of ``retention.holds``, listed in the
retention report like any other)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from retention.holds import create_hold
from rtcc.audit import SYSTEM
from rtcc.config import GunshotSettings
from rtcc.integrations.gunshot_service import Received


def hold_bookmarks(
    session: Session, received: Received, *, cfg: GunshotSettings, now: datetime
) -> None:
    """A video hold per newly bookmarked camera, over its bookmark window (flushes)."""
    alert = received.alert
    for mark in received.new_bookmarks:
        create_hold(
            session, now=now, actor=SYSTEM,
            case_number=f"gunshot:{alert.source}:{alert.alert_id}"[:64],
            reason=f"gunshot alert {alert.alert_id}: recordings of a covering camera",
            data_class="video", camera_id=mark.camera_id, start_at=mark.start_at,
            end_at=mark.end_at, expires_at=now + timedelta(days=cfg.bookmark_hold_days),
        )
