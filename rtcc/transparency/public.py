"""The public transparency page: aggregate figures of the last 30 days, computed, never typed.

No plate, user, camera id or site appears: only totals, each count below
``transparency.suppress_below`` shown as ``"<N"``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy.orm import Session

from retention.executor import policy_from_settings
from retention.plan import DATA_CLASSES
from rtcc.audit_anchor import anchor_from_settings
from rtcc.config import Settings
from rtcc.errors import RtccError
from rtcc.transparency import figures as f

DAYS = 30


def _hide(value: int, threshold: int) -> int | str:
    return f"<{threshold}" if 0 < value < threshold else value


def _last_verification(settings: Settings) -> dict[str, Any]:
    """The newest signed checkpoint: the chain was verified up to it before it was signed."""
    anchor = anchor_from_settings(settings)
    if not anchor.key_path.exists():
        return {"last_verified_at": None, "rows_verified": None}
    try:
        cp = anchor.latest()
    except RtccError:
        return {"last_verified_at": None, "rows_verified": None, "problem": True}
    if cp is None:
        return {"last_verified_at": None, "rows_verified": None}
    return {"last_verified_at": cp.made_at, "rows_verified": cp.rows}


def public_figures(session: Session, *, settings: Settings, now: datetime) -> dict[str, Any]:
    n = settings.transparency.suppress_below
    w = f.Window(now - timedelta(days=DAYS), now)
    cams = f.units(session, lpr_only=False)
    lpr = f.units(session, lpr_only=True)
    counts = f.usage(session, w)
    hits = f.reads_and_hits(session, w, counts)
    search = f.searches(session, w, counts)
    policy = policy_from_settings(settings.retention)
    return {
        "generated_at": now.isoformat(),
        "window": w.as_dict(),
        "suppress_below": n,
        "cameras": {"total": cams["total"], "fixed": cams["by_type"].get("fixed", 0),
                    "mobile": cams["by_type"].get("mobile", 0), "plate_recognition": lpr["total"]},
        "activity": {"reads": _hide(hits["reads"], n), "hits": _hide(hits["hits"], n),
                     "searches": _hide(search["searches"], n),
                     "searches_refused": _hide(search["searches_refused"], n)},
        "dispositions": {k: _hide(hits[k], n)
                         for k in ("confirmed", "rejected", "acknowledged", "unhandled")},
        "retention_days": {name: policy.days(name) for name in DATA_CLASSES},
        "policies": {
            "search_purposes": list(settings.oversight.purposes),
            "prohibited_purposes": list(settings.oversight.prohibited_purposes),
            "searches_need_reason_and_case_number": True,
            "searches_sampled_for_audit_each_month": settings.oversight.monthly_sample_size,
        },
        "audit": _last_verification(settings),
    }


def _rows(values: dict[str, Any]) -> str:
    return "".join(f"<tr><td>{escape(k.replace('_', ' ').capitalize())}</td>"
                   f"<td class='num'>{escape(_text(v))}</td></tr>" for k, v in values.items())


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "—" if value is None else str(value)


def render_public(data: dict[str, Any], *, stylesheet: str) -> str:
    """The page; ``stylesheet`` is the URL of its CSS (inline styles break the site's CSP)."""
    sections = [("Cameras in service", data["cameras"]),
                ("Last 30 days", data["activity"]),
                ("What happened to alerts (last 30 days)", data["dispositions"]),
                ("How long data is kept (days)", data["retention_days"]),
                ("Policies", data["policies"]),
                ("Audit trail", data["audit"])]
    body = "".join(f"<h2>{escape(title)}</h2><table>{_rows(values)}</table>"
                   for title, values in sections)
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            "<title>Surveillance technology: public figures</title>"
            f"<link rel='stylesheet' href='{escape(stylesheet)}'></head><body>"
            "<h1>Surveillance technology: public figures</h1>"
            "<p class='meta'>Computed by the system from its own records at "
            f"{escape(data['generated_at'][:16])} UTC. Counts below {data['suppress_below']} "
            f"are shown as &lt;{data['suppress_below']}.</p>{body}</body></html>")
