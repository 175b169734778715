"""JSON shapes of the events pushed to browsers (``type`` plus fields)."""

from __future__ import annotations

from typing import Any

from hotlist.matcher import EntryRef
from rtcc.models import Camera, Hit, Hotlist, HotlistEntry, PlateRead


def media_url(path: str | None) -> str | None:
    return f"/media/{path.removeprefix('media/')}" if path else None


def read_payload(read: PlateRead) -> dict[str, Any]:
    return {
        "id": read.id,
        "camera_id": read.camera_id,
        "plate": read.plate,
        "confidence": round(read.confidence, 4),
        "status": read.status,
        "region": read.region,
        "frames": read.frames,
        "observed_at": read.observed_at.isoformat(),
        "last_seen_at": read.last_seen_at.isoformat(),
        "snapshot_url": media_url(read.snapshot_path),
        "crop_url": media_url(read.crop_path),
    }


def hit_payload(
    hit: Hit,
    read: PlateRead | None,
    *,
    entry: HotlistEntry | EntryRef | None = None,
    hotlist: Hotlist | None = None,
) -> dict[str, Any]:
    """A hit as the console shows it: list, priority, match details, entry and read media."""
    ref = entry.hotlist if isinstance(entry, EntryRef) else None
    return {
        "id": hit.id,
        "plate": hit.plate,
        "entry_plate": hit.entry_plate,
        "entry_id": hit.entry_id,
        "camera_id": hit.camera_id,
        "observed_at": hit.observed_at.isoformat(),
        "last_seen_at": hit.last_seen_at.isoformat(),
        "hotlist": hit.hotlist_name,
        "hotlist_id": hit.hotlist_id,
        "hotlist_kind": hotlist.kind if hotlist else ref.kind if ref else None,
        "colour": hotlist.colour if hotlist else ref.colour if ref else None,
        "restricted": hotlist.restricted if hotlist else ref.restricted if ref else None,
        "reason": hit.reason,
        "priority": hit.priority,
        "match_type": hit.match_type,
        "distance": hit.distance,
        "needs_confirmation": hit.needs_confirmation,
        "diff": [{"position": p, "read": r, "entry": e} for p, r, e in hit.diff or []],
        "status": hit.status,
        "status_by": hit.status_by,
        "status_at": hit.status_at.isoformat() if hit.status_at else None,
        "reject_reason": hit.reject_reason,
        "reject_text": hit.reject_text,
        "visually_confirmed": hit.visually_confirmed,
        "occurrences": hit.occurrences,
        "historical": hit.historical,
        "read_id": hit.read_id,
        "confidence": round(read.confidence, 4) if read else None,
        "snapshot_url": media_url(read.snapshot_path) if read else None,
        "crop_url": media_url(read.crop_path) if read else None,
        "entry_state": entry.state if entry else None,
        "case_number": entry.case_number if entry else None,
        "description": entry.description if entry else None,
    }


def entry_payload(e: HotlistEntry) -> dict[str, Any]:
    """A hotlist entry as the API shows it."""
    return {
        "id": e.id,
        "hotlist_id": e.hotlist_id,
        "plate": e.plate,
        "state": e.state,
        "reason": e.reason,
        "case_number": e.case_number,
        "description": e.description,
        "expires_at": e.expires_at.isoformat() if e.expires_at else None,
        "is_wildcard": e.is_wildcard,
        "extra": e.extra,
        "added_by": e.added_by,
        "added_at": e.added_at.isoformat(),
    }


def camera_payload(cam: Camera) -> dict[str, Any]:
    return {
        "camera_id": cam.id,
        "name": cam.name,
        "state": cam.state,
        "since": cam.state_since_at.isoformat() if cam.state_since_at else None,
        "last_error": cam.last_error,
        "input_fps": round(cam.input_fps, 2),
        "analysed_fps": round(cam.analysed_fps, 2),
        "skipped_frames": cam.skipped_frames,
        "motion_skipped_frames": cam.motion_skipped_frames,
        "restarts": cam.restarts,
        "last_frame_at": cam.last_frame_at.isoformat() if cam.last_frame_at else None,
        "reconnects": cam.reconnects,
    }
