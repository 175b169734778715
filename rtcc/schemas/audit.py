"""The audit trail as auditors read it."""

from __future__ import annotations

from typing import Any

from rtcc.schemas.common import Page, ReadModel, UtcDatetime


class AuditEventOut(ReadModel):
    id: int
    at: UtcDatetime
    username: str | None
    role: str | None
    source: str | None
    credential: str | None = None  # session:<id prefix> | token:<id> | cli | system
    action: str
    target: str | None
    outcome: str
    case_number: str | None
    details: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditPage(Page[AuditEventOut]):
    limit: int
    offset: int


class ChainProblem(ReadModel):
    row_id: int
    kind: str
    message: str


class VerifyOut(ReadModel):
    ok: bool
    problem: ChainProblem | None
