"""The tamper-evident audit trail: every row's hash covers its content and the previous hash.

``record`` appends inside the caller's transaction (the caller commits). ``verify`` walks the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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
    credential: str | None = None  # "session:<id prefix>", "token:<id>", "cli", "system"

    @property
    def role(self) -> str | None:
        return ",".join(self.roles) or None


SYSTEM = Actor(username="system", roles=("system",), source="local", credential="system")


def _canonical(row: dict[str, Any]) -> bytes:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), default=str).encode()


class AuditRow(Protocol):
    """An audit row from the database or from an exported trail (same fields)."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def username(self) -> str | None: ...
    @property
    def role(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def credential(self) -> str | None: ...
    @property
    def action(self) -> str: ...
    @property
    def target(self) -> str | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def case_number(self) -> str | None: ...
    @property
    def details(self) -> dict[str, Any] | None: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def row_fields(event: AuditRow) -> dict[str, Any]:
    """The fields the hash covers (``at`` as ISO text), as exported by ``rtcc audit export``."""
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "username": event.username,
        "role": event.role,
        "source": event.source,
        "credential": event.credential,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "case_number": event.case_number,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }


def compute_hash(event: AuditRow) -> str:
    return hashlib.sha256(_canonical(row_fields(event))).hexdigest()


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
    _lock_chain_head(session)
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
        credential=actor.credential,
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


def _lock_chain_head(session: Session) -> None:
    """Serialise appends until the caller's transaction ends, so the head read here is final.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a no-op write takes the database's
    write lock now (the driver would otherwise read the head outside any transaction and a
    concurrent append could take the same id).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_event SET id = id WHERE 0 = 1"))


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


def check_row(ev: AuditRow, *, expected_id: int, prev_hash: str) -> ChainProblem | None:
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


def check_chain(
    session: Session, *, batch: int = 5000, start_id: int = 1, prev_hash: str = GENESIS
) -> ChainReport:
    """Walk the chain in id order (from ``start_id``, whose predecessor's hash is ``prev_hash``;
    default: the whole chain); the report names the first broken row, if any."""
    expected_id = start_id
    count = 0
    while True:
        stmt = select(AuditEvent).order_by(AuditEvent.id).limit(batch)
        if count or start_id != 1:
            stmt = stmt.where(AuditEvent.id >= expected_id)
        rows = session.scalars(stmt).all()
        if not rows:
            return ChainReport(count, expected_id - 1, prev_hash, None)
        for ev in rows:
            problem = check_row(ev, expected_id=expected_id, prev_hash=prev_hash)
            if problem is not None:
                return ChainReport(count, expected_id - 1, prev_hash, problem)
            prev_hash = ev.hash
            expected_id = ev.id + 1
            count += 1
        session.expunge_all()


def iter_rows(session: Session, *, batch: int = 5000) -> Iterator[AuditEvent]:
    """Every audit row in id order, read in batches (rows are detached after each batch)."""
    after = None
    while True:
        stmt = select(AuditEvent).order_by(AuditEvent.id).limit(batch)
        if after is not None:
            stmt = stmt.where(AuditEvent.id > after)
        rows = session.scalars(stmt).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        session.expunge_all()


def verify(session: Session, *, batch: int = 5000) -> ChainProblem | None:
    """The first problem in the chain, or None if intact."""
    return check_chain(session, batch=batch).problem
