"""What a person must enter for the yearly report, versioned, and the named sign-off.

Every save is a new version (earlier versions are kept and listed); a sign-off pins the entered
versions and the digest of the computed figures it saw. Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.errors import ConflictError, InvalidInputError
from rtcc.models import TransparencyEntry, TransparencySignoff

TECHNOLOGIES = ("lpr", "video", "gunshot")
ENTERED_FIELDS = ("how_used", "how_requested", "funding", "complaints", "partnerships",
                  "effectiveness", "policy_changes")
MAX_FIELD_LENGTH = 20_000
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInputError(f"year: between {FIRST_YEAR} and {LAST_YEAR}", field="year")
    return year


def check_technology(technology: str) -> str:
    if technology not in TECHNOLOGIES:
        raise InvalidInputError(f"technology: one of {', '.join(TECHNOLOGIES)}",
                                field="technology")
    return technology


def _check_fields(fields: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(fields) - set(ENTERED_FIELDS))
    if unknown:
        raise InvalidInputError(f"fields: unknown {', '.join(unknown)}; known: "
                                f"{', '.join(ENTERED_FIELDS)}", field=f"fields.{unknown[0]}")
    out: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
            raise InvalidInputError(f"fields.{name}: text of at most {MAX_FIELD_LENGTH} "
                                    "characters", field=f"fields.{name}")
        if value.strip():
            out[name] = value.strip()
    return out


def enter(
    session: Session, *, year: int, technology: str, fields: dict[str, Any], actor: Actor,
    now: datetime,
) -> TransparencyEntry:
    """Save a new version of the entered fields (the whole set; earlier versions stay)."""
    check_year(year)
    check_technology(technology)
    clean = _check_fields(fields)
    last = session.scalar(select(func.max(TransparencyEntry.version)).where(
        TransparencyEntry.year == year, TransparencyEntry.technology == technology)) or 0
    entry = TransparencyEntry(year=year, technology=technology, version=last + 1, fields=clean,
                              entered_by=actor.username or "unknown", entered_at=now)
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise ConflictError(f"{technology} {year}: saved by someone else meanwhile; reload",
                            field="version") from None
    audit.record(session, now=now, actor=actor, action="transparency.enter",
                 target=f"transparency:{year}:{technology}",
                 details={"version": entry.version, "fields": sorted(clean)})
    return entry


def versions(session: Session, *, year: int, technology: str) -> list[TransparencyEntry]:
    """Every version, newest first."""
    return list(session.scalars(select(TransparencyEntry).where(
        TransparencyEntry.year == check_year(year),
        TransparencyEntry.technology == check_technology(technology),
    ).order_by(TransparencyEntry.version.desc())))


def latest_entries(session: Session, *, year: int) -> dict[str, TransparencyEntry]:
    out: dict[str, TransparencyEntry] = {}
    for entry in session.scalars(select(TransparencyEntry).where(TransparencyEntry.year == year)
                                 .order_by(TransparencyEntry.version)):
        out[entry.technology] = entry
    return out


def sign_off(
    session: Session, *, year: int, report: dict[str, Any], statement: str | None,
    actor: Actor, now: datetime,
) -> TransparencySignoff:
    """A named user signs the report as computed now (its entered versions, figures digest)."""
    if not actor.username:
        raise InvalidInputError("sign-off needs a named user", field="user")
    pinned = {t["technology"]: (t["entered"] or {}).get("version")
              for t in report["technologies"]}
    row = TransparencySignoff(
        year=check_year(year), versions=pinned, figures_digest=report["figures_digest"],
        checkpoint_row_id=report["checkpoint"]["row_id"], statement=(statement or "").strip()
        or None, signed_by=actor.username, signed_at=now)
    session.add(row)
    session.flush()
    audit.record(session, now=now, actor=actor, action="transparency.signoff",
                 target=f"transparency:{year}",
                 details={"signoff": row.id, "versions": pinned,
                          "figures_digest": row.figures_digest})
    return row


def latest_signoff(session: Session, *, year: int) -> TransparencySignoff | None:
    return session.scalar(select(TransparencySignoff).where(TransparencySignoff.year == year)
                          .order_by(TransparencySignoff.id.desc()).limit(1))
