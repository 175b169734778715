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


@dataclass(frozen=True)
class ChainReport:
    rows: int
    last_id: int
    last_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _check(ev: AuditEvent, *, expected_id: int, prev_hash: str) -> ChainProblem | None:
    if ev.id < expected_id:
        return ChainProblem(ev.id, "inserted", f"row {ev.id} inserted before row {expected_id}")
    if ev.id != expected_id:
        missing = (
            f"row {expected_id}" if ev.id == expected_id + 1 else f"rows {expected_id}-{ev.id - 1}"
        )
        return ChainProblem(expected_id, "deleted", f"{missing} deleted (next present: {ev.id})")
    if ev.prev_hash != prev_hash:
        return ChainProblem(
            ev.id, "inserted",
            f"row {ev.id} does not chain to row {ev.id - 1}: inserted (or row {ev.id - 1} "
            "rewritten with a recomputed hash)",
        )
    if compute_hash(ev) != ev.hash:
        return ChainProblem(ev.id, "altered", f"row {ev.id} altered: content does not match hash")
    return None


def check_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; the report names the first broken row, if any."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    while True:
        stmt = select(AuditEvent).order_by(AuditEvent.id).limit(batch)
        if count:
            stmt = stmt.where(AuditEvent.id >= expected_id)
        rows = session.scalars(stmt).all()
        if not rows:
            return ChainReport(count, expected_id - 1, prev_hash, None)
        for ev in rows:
            problem = _check(ev, expected_id=expected_id, prev_hash=prev_hash)
            if problem is not None:
                return ChainReport(count, expected_id - 1, prev_hash, problem)
            prev_hash = ev.hash
            expected_id = ev.id + 1
            count += 1
        session.expunge_all()


def verify(session: Session, *, batch: int = 5000) -> ChainProblem | None:
    """The first problem in the chain, or None if intact."""
    return check_chain(session, batch=batch).problem
