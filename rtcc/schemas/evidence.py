"""Evidence exports and the public key that signs them."""

from __future__ import annotations

from typing import Literal

from rtcc.models import EvidenceExport
from rtcc.schemas.common import Page, ReadModel, UtcDatetime

ExportStatus = Literal["running", "done", "failed", "cancelled"]


class ExportOut(ReadModel):
    """One export: the request, its progress, and once done the package's size and hash."""

    id: int
    case_number: str
    reason: str
    legal_authority: str | None
    requested_by: str
    source_kind: str  # hit | read | reads | gunshot | window
    source_id: int | None
    cameras: list[str]
    start_at: UtcDatetime
    end_at: UtcDatetime
    status: ExportStatus
    progress: float
    stage: str | None
    bytes: int
    files: int
    manifest_sha256: str | None
    error: str | None
    created_at: UtcDatetime
    finished_at: UtcDatetime | None
    download_url: str | None

    @classmethod
    def of(cls, row: EvidenceExport) -> ExportOut:
        return cls(
            id=row.id, case_number=row.case_number, reason=row.reason,
            legal_authority=row.legal_authority, requested_by=row.requested_by,
            source_kind=row.source_kind, source_id=row.source_id,
            cameras=[str(c) for c in row.cameras], start_at=row.start_at, end_at=row.end_at,
            status=row.status,  # type: ignore[arg-type]
            progress=row.progress, stage=row.stage, bytes=row.bytes, files=row.files,
            manifest_sha256=row.manifest_sha256, error=row.error, created_at=row.created_at,
            finished_at=row.finished_at,
            download_url=f"/api/evidence/{row.id}/download" if row.status == "done" else None,
        )


class ExportPage(Page[ExportOut]):
    pass


class PublicKeyOut(ReadModel):
    """The key that signs every evidence manifest, as a minisign public key file."""

    algorithm: Literal["Ed25519"] = "Ed25519"
    format: Literal["minisign"] = "minisign"
    key_id: str
    public_key: str  # the base64 line (``minisign -P``)
    file: str  # the whole key.pub file (``minisign -p key.pub``)
