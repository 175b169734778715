"""Evidence exports: check the request, hold the sources, build the package, record custody.

Two steps so that an API can answer at once and build in the background:

* :func:`start` (in the caller's transaction) validates the window, collects the items, refuses
  an export over ``evidence.max_bytes``, inserts the ``evidence_export`` row and places legal
  holds (case number, ``evidence.hold_days``) on every source segment, read and hit, so that
  retention cannot delete them while or after the package is built.
* :func:`build` writes the package into a temporary folder under ``data_dir/evidence`` and
  renames it into place only when complete. Cancelled or failed: the folder is removed, the
  holds released, the row marked, the outcome audited; nothing else remains.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from retention.holds import create_hold, release_hold
from rtcc import audit
from rtcc.audit import Actor
from rtcc.clock import Clock
from rtcc.config import Settings
from rtcc.db import transaction
from rtcc.errors import InvalidInputError, NotFoundError, RtccError
from rtcc.evidence import package
from rtcc.evidence.collect import Collected, Scope, Visible, collect, overlapping_segments
from rtcc.evidence.minisign import SigningKey, load_or_create
from rtcc.models import Camera, EvidenceExport

log = logging.getLogger(__name__)
EXPORTS = "evidence"


class WindowError(InvalidInputError):
    code = "invalid_window"


class ExportTooLargeError(RtccError):
    status_code = 413
    code = "export_too_large"


def key_path(settings: Settings) -> Path:
    return settings.evidence.signing_key or settings.data_dir / EXPORTS / "signing.key"


def signing_key(settings: Settings) -> SigningKey:
    return load_or_create(key_path(settings))


def export_dir(settings: Settings, export_id: int) -> Path:
    return settings.data_dir / EXPORTS / f"export-{export_id}"


def _window_text(scope: Scope) -> str:
    return f"window {scope.start_at.isoformat()} to {scope.end_at.isoformat()}"


def _one_line(value: str | None, name: str, *, max_len: int, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInputError(f"{name}: required", field=name)
        return None
    if len(text) > max_len or any(ord(c) < 32 for c in text):
        raise InvalidInputError(f"{name}: one line of at most {max_len} characters", field=name)
    return text


def check_window(session: Session, scope: Scope, *, now: datetime, settings: Settings) -> None:
    """4xx naming the window when it is empty, in the future, outside retention or unrecorded."""
    for name, value in (("start", scope.start_at), ("end", scope.end_at)):
        if value.tzinfo is None:
            raise WindowError(f"{name}: needs a time zone (e.g. ...Z)", field=name)
    if scope.end_at <= scope.start_at:
        raise WindowError(f"{_window_text(scope)}: end must be after start", field="window")
    if scope.start_at >= now:
        raise WindowError(f"{_window_text(scope)}: starts in the future", field="window")
    if not scope.cameras:
        raise InvalidInputError("cameras: at least one camera", field="cameras")
    cutoff = now - timedelta(days=settings.retention.video_days)
    for cam_id in scope.cameras:
        if session.get(Camera, cam_id) is None:
            raise NotFoundError(f"camera {cam_id!r} not found", field="cameras")
        if overlapping_segments(session, cam_id, scope.start_at, scope.end_at):
            continue
        if scope.end_at < cutoff:
            raise WindowError(
                f"{_window_text(scope)} is outside video retention ({settings.retention.video_days}"
                f" days: recordings before {cutoff.isoformat()} are deleted) and camera {cam_id}"
                " has no held recording in it", field="window",
            )
        raise WindowError(
            f"{_window_text(scope)}: no recording from camera {cam_id}", field="window"
        )


def estimate_bytes(got: Collected, scope: Scope, data_dir: Path) -> int:
    """Clip sizes pro rata of each segment's overlap with the window, plus stills."""
    total = 0.0
    for sources in got.sources.values():
        for src in sources:
            span = (src.end_at - src.start_at).total_seconds()
            inside = (min(src.end_at, scope.end_at) - max(src.start_at, scope.start_at))
            size = src.path.stat().st_size if src.path.exists() else 0
            total += size * (min(1.0, inside.total_seconds() / span) if span > 0 else 1.0)
    for rel, _ in got.images:
        path = data_dir / rel
        total += path.stat().st_size if path.exists() else 0
    return int(total)


@dataclass(frozen=True)
class Started:
    export_id: int
    request: package.Request
    collected: Collected
    estimated_bytes: int


def start(
    session: Session,
    *,
    scope: Scope,
    case_number: str,
    reason: str,
    legal_authority: str | None,
    actor: Actor,
    now: datetime,
    settings: Settings,
    visible: Visible | None = None,
) -> Started:
    """Validate, collect, insert the export row and hold its sources (flushes; caller commits)."""
    case = _one_line(case_number, "case_number", max_len=64, required=True)
    why = _one_line(reason, "reason", max_len=2000, required=True)
    authority = _one_line(legal_authority, "legal_authority", max_len=2000, required=False)
    assert case is not None and why is not None
    check_window(session, scope, now=now, settings=settings)
    got = collect(session, scope, data_dir=settings.data_dir, before=now, visible=visible)
    size = estimate_bytes(got, scope, settings.data_dir)
    limit = settings.evidence.max_bytes
    if size > limit:
        raise ExportTooLargeError(
            f"{_window_text(scope)}: the export would be about {size / 1e6:.1f} MB, over the "
            f"limit of {limit / 1e6:.1f} MB (evidence.max_bytes); narrow the window or cameras",
            field="window", bytes=size, limit=limit,
        )
    row = EvidenceExport(
        case_number=case, reason=why, legal_authority=authority,
        requested_by=actor.username or "unknown", source_kind=scope.source_kind,
        source_id=scope.source_id, cameras=list(scope.cameras), start_at=scope.start_at,
        end_at=scope.end_at, status="running", progress=0.0, stage="queued", created_at=now,
    )
    session.add(row)
    session.flush()
    row.hold_ids = _hold(session, row, got, actor=actor, now=now, settings=settings)
    request = package.Request(case, why, authority, row.requested_by, scope)
    return Started(row.id, request, got, size)


def _hold(
    session: Session, row: EvidenceExport, got: Collected, *, actor: Actor, now: datetime,
    settings: Settings,
) -> list[int]:
    items = {
        "video": [s["id"] for s in got.segments],
        "plate_reads": [r["id"] for r in got.reads],
        "hits": [h["id"] for h in got.hits],
    }
    ids = []
    for data_class, item_ids in items.items():
        if not item_ids:
            continue
        hold = create_hold(
            session, now=now, actor=actor, case_number=row.case_number,
            reason=f"evidence export {row.id}: {row.reason}", data_class=data_class,
            expires_at=now + timedelta(days=settings.evidence.hold_days), item_ids=item_ids,
        )
        ids.append(hold.id)
    return ids


def build(
    started: Started,
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    clock: Clock,
    actor: Actor,
    on_progress: Callable[[float, str], None] | None = None,
) -> EvidenceExport:
    """Write the package, then mark the row done (or failed/cancelled and undo everything)."""
    export_id = started.export_id
    root = settings.data_dir / EXPORTS
    tmp = root / f".tmp-{export_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)

    def progress(fraction: float, stage: str) -> None:
        with transaction(sessions) as s:
            row = s.get(EvidenceExport, export_id)
            if row is not None:
                row.progress, row.stage = round(fraction, 3), stage
        if on_progress is not None:
            on_progress(fraction, stage)

    def cancelled() -> bool:
        with sessions() as s:
            row = s.get(EvidenceExport, export_id)
            return row is None or row.cancel_requested

    with sessions() as s:
        row = s.get(EvidenceExport, export_id)
        assert row is not None
        created = {"export_id": export_id, "at": row.created_at.isoformat(),
                   "by": row.requested_by, "role": actor.role, "source": actor.source,
                   "case_number": row.case_number, "reason": row.reason,
                   "legal_authority": row.legal_authority}
    try:
        built = package.build(
            started.request, started.collected, data_dir=settings.data_dir, root=tmp,
            key=signing_key(settings), created=created, progress=progress, cancelled=cancelled,
        )
        final = export_dir(settings, export_id)
        tmp.rename(final)  # atomic: the package exists whole or not at all
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        status = "cancelled" if isinstance(exc, package.ExportCancelled) else "failed"
        _undo(sessions, export_id, status=status, error=_describe(exc), actor=actor, clock=clock)
        if status == "cancelled":
            with sessions() as s:
                return _detached(s, export_id)
        raise
    return _finish(sessions, export_id, built, final, settings=settings, actor=actor, clock=clock)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RtccError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"[:2000]


def _detached(session: Session, export_id: int) -> EvidenceExport:
    row = session.get(EvidenceExport, export_id)
    assert row is not None
    session.expunge(row)
    return row


def _finish(
    sessions: sessionmaker[Session], export_id: int, built: package.Built, final: Path, *,
    settings: Settings, actor: Actor, clock: Clock,
) -> EvidenceExport:
    now = clock.now()
    with transaction(sessions) as s:
        row = s.get(EvidenceExport, export_id)
        assert row is not None
        row.status, row.progress, row.stage = "done", 1.0, "done"
        row.path = final.relative_to(settings.data_dir).as_posix()
        row.bytes, row.files, row.manifest_sha256 = built.bytes, built.files, built.manifest_sha256
        row.finished_at = now
        audit.record(
            s, now=now, actor=actor, action="evidence.export", target=f"evidence:{export_id}",
            case_number=row.case_number,
            details={"manifest_sha256": built.manifest_sha256, "bytes": built.bytes,
                     "files": built.files, "cameras": row.cameras, "reason": row.reason,
                     "window": [row.start_at.isoformat(), row.end_at.isoformat()],
                     "holds": row.hold_ids},
        )
        s.flush()
        s.expunge(row)
    log.info("evidence export %s done: %s files, %s bytes", export_id, built.files, built.bytes)
    return row


def _undo(
    sessions: sessionmaker[Session], export_id: int, *, status: str, error: str, actor: Actor,
    clock: Clock,
) -> None:
    now = clock.now()
    with transaction(sessions) as s:
        row = s.get(EvidenceExport, export_id)
        if row is None:
            return
        for hold_id in row.hold_ids or []:
            release_hold(s, hold_id=int(hold_id), now=now, actor=actor)
        row.status, row.stage, row.error, row.finished_at = status, status, error, now
        audit.record(
            s, now=now, actor=actor, action="evidence.export", target=f"evidence:{export_id}",
            outcome=status, case_number=row.case_number, details={"error": error},
        )
    log.warning("evidence export %s %s: %s", export_id, status, error)


def request_cancel(session: Session, *, export_id: int) -> EvidenceExport:
    row = get_export(session, export_id=export_id)
    if row.status == "running":
        row.cancel_requested = True
        session.flush()
    return row


def get_export(session: Session, *, export_id: int) -> EvidenceExport:
    row = session.get(EvidenceExport, export_id)
    if row is None:
        raise NotFoundError(f"evidence export {export_id} not found")
    return row


def recover_interrupted(
    sessions: sessionmaker[Session], *, settings: Settings, clock: Clock, actor: Actor
) -> int:
    """At start-up: exports left "running" by a stopped server are failed and undone (holds
    released, audited) and their temporary folders removed. Returns how many."""
    for tmp in (settings.data_dir / EXPORTS).glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    with sessions() as s:
        ids = list(s.scalars(select(EvidenceExport.id).where(EvidenceExport.status == "running")))
    for export_id in ids:
        _undo(sessions, export_id, status="failed", error="interrupted: the server stopped",
              actor=actor, clock=clock)
    return len(ids)
