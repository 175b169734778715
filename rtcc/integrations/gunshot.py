"""Acoustic gunshot alerts: the provider's JSON, every version kept, the console payload.

A provider sends ``{"id", "type", "rounds", "latitude", "longitude", "address",
"detected_at"}``; a later message with the same ``id`` is a new version (the old ones stay:
evidence is write-once). Validation errors name the field (``InvalidInputError.field``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rtcc.errors import ConflictError, InvalidInputError
from rtcc.integrations.geometry import Point
from rtcc.models import GunshotAlert
from rtcc.vocab import GunshotType

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # plausible alert and position times
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def plausible_time(value: datetime) -> datetime:
    """A pydantic validator: times from other systems between 1990 and 2100."""
    if not EARLIEST <= value.astimezone(UTC) <= LATEST:
        raise ValueError("must be between 1990 and 2100")
    return value


class GunshotAlertIn(BaseModel):
    """One alert as a provider sends it (unknown extra fields are kept in the stored payload)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    id: str = Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    type: GunshotType
    rounds: int | None = Field(default=None, ge=0, le=10_000)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)
    detected_at: AwareDatetime

    _plausible = field_validator("detected_at")(plausible_time)

    @property
    def spot(self) -> Point:
        return Point(self.latitude, self.longitude)


def invalid_from(exc: ValidationError, *, prefix: str = "") -> InvalidInputError:
    """A pydantic error as our 422: every bad field named, the first one as ``field``."""
    fields = [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
        for err in exc.errors()
    ]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return InvalidInputError(f"{prefix}{detail}", field=fields[0]["field"], fields=fields)


def parse_alert(body: bytes) -> tuple[GunshotAlertIn, dict[str, Any]]:
    """The validated alert and the JSON object as received; raises ``InvalidInputError``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("body: not JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInputError("body: a JSON object is required", field="body")
    try:
        return GunshotAlertIn.model_validate(data), data
    except ValidationError as exc:
        raise invalid_from(exc) from None


def store_version(
    session: Session, *, alert: GunshotAlertIn, source: str, payload: dict[str, Any],
    now: datetime,
) -> GunshotAlert:
    """Append the next version of ``(source, alert.id)`` (flushes; the caller commits)."""
    latest = session.scalar(
        select(func.max(GunshotAlert.version)).where(
            GunshotAlert.source == source, GunshotAlert.alert_id == alert.id
        )
    )
    row = GunshotAlert(
        source=source, alert_id=alert.id, version=(latest or 0) + 1, type=alert.type.value,
        rounds=alert.rounds, lat=alert.latitude, lon=alert.longitude, address=alert.address,
        detected_at=alert.detected_at, received_at=now, payload=payload,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"alert {alert.id!r} was updated concurrently; send it again",
                            field="id") from None
    return row


def versions(session: Session, *, source: str, alert_id: str) -> list[GunshotAlert]:
    return list(session.scalars(
        select(GunshotAlert)
        .where(GunshotAlert.source == source, GunshotAlert.alert_id == alert_id)
        .order_by(GunshotAlert.version)
    ))


def latest_alerts(
    session: Session, *, since: datetime | None, until: datetime | None, limit: int
) -> list[GunshotAlert]:
    """The newest version of each alert detected in ``[since, until)``, newest first."""
    newest = (
        select(GunshotAlert.source, GunshotAlert.alert_id,
               func.max(GunshotAlert.version).label("version"))
        .group_by(GunshotAlert.source, GunshotAlert.alert_id)
        .subquery()
    )
    stmt = select(GunshotAlert).join(
        newest,
        (GunshotAlert.source == newest.c.source) & (GunshotAlert.alert_id == newest.c.alert_id)
        & (GunshotAlert.version == newest.c.version),
    )
    if since is not None:
        stmt = stmt.where(GunshotAlert.detected_at >= since)
    if until is not None:
        stmt = stmt.where(GunshotAlert.detected_at < until)
    return list(session.scalars(
        stmt.order_by(GunshotAlert.detected_at.desc(), GunshotAlert.id.desc()).limit(limit)
    ))


@dataclass(frozen=True)
class Covering:
    camera_id: str
    name: str
    distance_m: float

