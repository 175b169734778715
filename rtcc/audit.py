"""The tamper-evident audit trail: every row's hash covers its content and the previous hash.

``record`` appends inside the caller's transaction (the caller commits). ``verify`` walks the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rtcc.models import AuditEvent

GENESIS = "0" * 64
_PG_LOCK_KEY = 727_001  # advisory lock serialising appends on PostgreSQL


@dataclass(frozen=True)
class Actor:
    """Who did something, and from where."""

    username: str | None
    roles: tuple[str, ...] = ()
    source: str | None = None

    @property
    def role(self) -> str | None:
        return ",".join(self.roles) or None


SYSTEM = Actor(username="system", roles=("system",), source="local")


def _canonical(row: dict[str, Any]) -> bytes:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    body = {
        "id": event.id,
        "at": event.at.isoformat(),
        "username": event.username,
        "role": event.role,
        "source": event.source,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "case_number": event.case_number,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def record(
    session: Session,
    *,
    now: datetime,
    actor: Actor,
    action: str,
    outcome: str = "success",
    target: str | None = None,
    case_number: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain (flushes; the caller owns the transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    prev_hash = last.hash if last else GENESIS
    next_id = (last.id + 1) if last else 1
    event = AuditEvent(
        id=next_id,
        at=now,
        username=actor.username,
        role=actor.role,
        source=actor.source,
        action=action,
        target=target,
        outcome=outcome,
        case_number=case_number,
        details=details,
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    row_id: int
    kind: str  # altered | inserted | deleted
    message: str


def verify(session: Session, *, batch: int = 5000) -> ChainProblem | None:
    """Walk the chain in id order; return the first problem, or None if intact."""
    prev_hash = GENESIS
    expected_id = 1
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return None
        for ev in rows:
            if ev.prev_hash != prev_hash:
                kind = "deleted" if ev.id != expected_id else "inserted"
                if ev.id == expected_id and compute_hash(ev) == ev.hash:
                    kind = "inserted"
                return ChainProblem(
                    ev.id, kind, f"row {ev.id}: previous hash does not match row {ev.id - 1}"
                )
            if compute_hash(ev) != ev.hash:
                return ChainProblem(ev.id, "altered", f"row {ev.id}: content does not match hash")
            if ev.id != expected_id:
                return ChainProblem(ev.id, "deleted", f"row {expected_id} is missing")
            prev_hash = ev.hash
            expected_id = ev.id + 1
            last_id = ev.id
        session.expunge_all()
