"""Every start audits the effective settings: their hash and what changed since the last start.

A configuration change (100-year retention, insecure cookies) then leaves a trace in the
hash-chained audit trail, and a compliance review can see which policy was in force when.
Secrets never reach the trail: ``SecretStr`` values, keys that name a secret and passwords in
URLs are replaced before hashing.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.config import Settings
from rtcc.models import AuditEvent

ACTION = "config.start"
MAX_DIFF = 50  # changed keys listed in one audit row (the count is always complete)
_SECRET_KEY = re.compile(r"(password|secret|token|private|api_key|signing_key)", re.I)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://[^/:@\s]*):[^/@\s]*@")
REDACTED = "***"


def _redact(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\g<scheme>:***@", value)
    return value


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [1, 2]}}`` -> ``{"a.b.0": 1, "a.b.1": 2}`` with secrets redacted."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        if not value and prefix:
            out[prefix] = {}
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(_redact(name, item), name))
    elif isinstance(value, list):
        if not value and prefix:
            out[prefix] = []
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{i}"))
    else:
        out[prefix] = value
    return out


def effective(settings: Settings) -> dict[str, Any]:
    """The settings as the process uses them, flattened and redacted (JSON-ready)."""
    return flatten(settings.model_dump(mode="json"))


def digest(flat: dict[str, Any]) -> str:
    text = json.dumps(flat, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed keys -> ``[old, new]`` (None where a key is new or gone)."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record_start(session: Session, *, settings: Settings, now: datetime, actor: Actor
                 ) -> AuditEvent:
    """Append ``config.start`` with the settings' hash and the changes since the last start."""
    flat = effective(settings)
    last = session.scalar(
        select(AuditEvent).where(AuditEvent.action == ACTION).order_by(AuditEvent.id.desc())
        .limit(1)
    )
    previous = (last.details or {}).get("settings") if last is not None else None
    changes = diff(previous, flat) if isinstance(previous, dict) else {}
    details: dict[str, Any] = {
        "sha256": digest(flat),
        "previous_sha256": (last.details or {}).get("sha256") if last is not None else None,
        "changed": len(changes),
        "diff": dict(list(changes.items())[:MAX_DIFF]),
        "environment": settings.environment,
        "settings": flat,
    }
    return audit.record(session, now=now, actor=actor, action=ACTION, target="settings",
                        details=details)
