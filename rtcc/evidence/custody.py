"""Later custody: every download is audited and appended to the package's custody log.

The folder under ``data_dir/evidence`` is never changed after it is built. A download is a
copy (zip or folder) whose custody log is the creation line followed by one line per download
so far, this one included, read back from the audit trail and signed again with the product key.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.config import Settings
from rtcc.errors import ConflictError
from rtcc.evidence import package
from rtcc.evidence.service import get_export, signing_key
from rtcc.models import AuditEvent, EvidenceExport

STORED = (".mp4", ".jpg", ".jpeg", ".png")  # already compressed: zipped as they are


def list_exports(session: Session, *, case_number: str | None = None,
                 limit: int = 200) -> list[EvidenceExport]:
    stmt = select(EvidenceExport).order_by(EvidenceExport.id.desc()).limit(limit)
    if case_number:
        stmt = stmt.where(EvidenceExport.case_number == case_number)
    return list(session.scalars(stmt))


def downloads(session: Session, export_id: int) -> list[dict[str, Any]]:
    """Each download of an export, from the audit trail, as custody log lines."""
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "evidence.download")
        .where(AuditEvent.target == f"evidence:{export_id}")
        .order_by(AuditEvent.id)
    )
    return [
        {"event": "downloaded", "at": e.at.isoformat(), "by": e.username, "role": e.role,
         "source": e.source, "audit_id": e.id, "audit_hash": e.hash,
         "as": (e.details or {}).get("as")}
        for e in rows
    ]


def record_download(
    session: Session, *, export_id: int, actor: Actor, now: datetime, settings: Settings,
    as_: str = "zip",
) -> EvidenceExport:
    """Audit one download (flushes; the caller commits before handing out the copy)."""
    row = get_export(session, export_id=export_id)
    if row.status != "done" or row.path is None:
        raise ConflictError(f"evidence export {export_id} is {row.status}, not ready to download")
    audit.record(
        session, now=now, actor=actor, action="evidence.download",
        target=f"evidence:{export_id}", case_number=row.case_number,
        details={"as": as_, "manifest_sha256": row.manifest_sha256},
    )
    return row


def _custody_lines(source: Path, session: Session, export_id: int) -> list[dict[str, Any]]:
    first = (source / package.CUSTODY_LOG).read_text(encoding="utf-8").splitlines()[0]
    return [json.loads(first), *downloads(session, export_id)]


def _package_files(source: Path) -> Iterator[tuple[Path, str]]:
    skip = {package.CUSTODY_LOG, package.CUSTODY_SIG}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = path.relative_to(source).as_posix()
        if rel not in skip:
            yield path, rel


def write_copy(
    session: Session, *, row: EvidenceExport, settings: Settings, dest: Path
) -> Path:
    """Copy a downloaded export to ``dest`` (a folder, or a zip if it ends in ``.zip``)."""
    assert row.path is not None
    source = settings.data_dir / row.path
    key = signing_key(settings)
    lines = _custody_lines(source, session, row.id)
    with tempfile.TemporaryDirectory(dir=settings.data_dir) as tmp:
        custody = Path(tmp)
        package.write_custody(custody, key, lines, export_id=row.id)
        extra = [(custody / package.CUSTODY_LOG, package.CUSTODY_LOG),
                 (custody / package.CUSTODY_SIG, package.CUSTODY_SIG)]
        if dest.suffix.lower() == ".zip":
            _zip([*_package_files(source), *extra], dest, top=f"export-{row.id}",
                 when=row.created_at)
        else:
            dest.mkdir(parents=True, exist_ok=False)
            for path, rel in [*_package_files(source), *extra]:
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest / rel)
    return dest


def _zip(files: list[tuple[Path, str]], dest: Path, *, top: str, when: datetime) -> None:
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    tmp = dest.with_name(f".{dest.name}.part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for path, rel in files:
            info = zipfile.ZipInfo(f"{top}/{rel}", date_time=stamp)
            stored = rel.lower().endswith(STORED)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with path.open("rb") as src, zf.open(info, "w") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    tmp.replace(dest)
