"""The yearly surveillance-technology report (EO 78): computed figures next to entered text.

JSON: ``{"year", "generated_at", "window", "checkpoint", "public", "suppress_below",
"figures_digest", "signoff", "technologies": [{"technology": "lpr"|"video"|"gunshot", "units",
"uses_ai", "ai_models", "figures": {name: {"value", "kind", "window", "checkpoint",
"suppressed"}}, "entered": {"version", "fields", "entered_by", "entered_at"} | null}]}``.

Every figure carries the window it counts over (the year, or the instant it was computed for
state such as retention compliance) and the audit chain head (row id and hash) at which it was
computed. In the public version, counts below ``transparency.suppress_below`` read ``"<N"``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.report import build_report as retention_report
from rtcc.audit import GENESIS
from rtcc.audit_anchor import Anchor, anchor_from_settings
from rtcc.config import Settings
from rtcc.errors import RtccError
from rtcc.models import AuditEvent
from rtcc.transparency import figures as f
from rtcc.transparency.entries import check_year, latest_entries, latest_signoff
from rtcc.usage_tally import Key

COUNT, SHARE, DAYS, FLAG, HOURS, BREAKDOWN = "count", "share", "days", "flag", "hours", "breakdown"
SUPPRESSIBLE = frozenset({COUNT, BREAKDOWN})


def year_window(year: int) -> f.Window:
    check_year(year)
    return f.Window(datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC))


def chain_head(session: Session) -> dict[str, Any]:
    row = session.execute(select(AuditEvent.id, AuditEvent.hash)
                          .order_by(AuditEvent.id.desc()).limit(1)).first()
    return {"row_id": row.id if row else 0, "row_hash": row.hash if row else GENESIS}


class _Figures:
    """Collects figures, each stamped with its window and the chain head."""

    def __init__(self, window: f.Window, now: datetime, head: dict[str, Any]) -> None:
        self.window = window.as_dict()
        self.instant = {"start": now.isoformat(), "end": now.isoformat()}
        self.head = head
        self.out: dict[str, dict[str, Any]] = {}

    def add(self, name: str, value: Any, kind: str = COUNT, *, instant: bool = False) -> None:
        self.out[name] = {"value": value, "kind": kind, "suppressed": False,
                          "window": self.instant if instant else self.window,
                          "checkpoint": self.head}

    def add_all(self, values: dict[str, Any], kinds: dict[str, str] | None = None) -> None:
        for name, value in values.items():
            self.add(name, value, (kinds or {}).get(name, BREAKDOWN if isinstance(value, dict)
                                                    else COUNT))


def _lpr(session: Session, figs: _Figures, w: f.Window, settings: Settings,
         retention: dict[str, Any], counts: Counter[Key]) -> dict[str, Any]:
    figs.add_all(f.reads_and_hits(session, w, counts), {"no_match_share": SHARE})
    figs.add_all(f.searches(session, w, counts))
    figs.add("exports", f.exports(counts))
    figs.add_all(f.sharing(session, w, f.LPR_EVENTS))
    figs.add("legal_holds", f.holds(session, w, f.LPR_HOLD_CLASSES))
    figs.add_all(f.hotlist_entries(session, w))
    classes = retention["classes"]
    figs.add("retention_days", {k: classes[k]["policy_days"] for k in f.LPR_HOLD_CLASSES},
             DAYS, instant=True)
    figs.add("retention_past_period", sum(classes[k]["past_period"] for k in f.LPR_HOLD_CLASSES),
             COUNT, instant=True)
    lpr = settings.lpr
    return {"technology": "lpr", "units": f.units(session, lpr_only=True), "uses_ai": True,
            "ai_models": [lpr.detector_model, lpr.ocr_model, *lpr.extra_ocr_models],
            "figures": figs.out}


def _video(session: Session, figs: _Figures, w: f.Window,
           retention: dict[str, Any], counts: Counter[Key]) -> dict[str, Any]:
    figs.add_all(f.video(session, w, counts), {"recorded_hours": HOURS})
    figs.add("camera_uptime", f.uptime(session, w, counts), SHARE)
    figs.add("legal_holds", f.holds(session, w, ["video"]))
    figs.add("retention_days", {"video": retention["classes"]["video"]["policy_days"]}, DAYS,
             instant=True)
    figs.add("retention_past_period", retention["classes"]["video"]["past_period"], COUNT,
             instant=True)
    return {"technology": "video", "units": f.units(session, lpr_only=False), "uses_ai": False,
            "ai_models": [], "figures": figs.out}


def _gunshot(session: Session, figs: _Figures, w: f.Window, settings: Settings) -> dict[str, Any]:
    figs.add_all(f.gunshot(session, w))
    figs.add_all(f.sharing(session, w, ["gunshot"]))
    configured = len(settings.integrations.gunshot.sources)
    return {"technology": "gunshot", "units": {"total": configured}, "uses_ai": None,
            "ai_models": [], "figures": figs.out}


def _entered(entry: Any) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"version": entry.version, "fields": entry.fields, "entered_by": entry.entered_by,
            "entered_at": entry.entered_at.isoformat()}


def figures_digest(report: dict[str, Any]) -> str:
    values = {t["technology"]: {k: v["value"] for k, v in t["figures"].items()}
              for t in report["technologies"]}
    body = json.dumps({"year": report["year"], "figures": values}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _signed_checkpoint(anchor: Anchor) -> dict[str, Any] | None:
    if not anchor.key_path.exists():
        return None
    try:
        cp = anchor.latest()
    except RtccError:
        return None
    return None if cp is None else {"seq": cp.seq, "row_id": cp.row_id, "made_at": cp.made_at}


def build(
    session: Session, *, year: int, settings: Settings, now: datetime, public: bool = False,
) -> dict[str, Any]:
    """The report for ``year`` as of ``now`` (a running year is counted up to ``now``)."""
    w = year_window(year)
    partial = now < w.end
    if partial:
        w = f.Window(w.start, max(w.start, now))
    head = chain_head(session)
    retention = retention_report(session, now=now, settings=settings.retention,
                                 data_dir=Path(settings.data_dir))
    counts = f.usage(session, w)  # tallies for closed days, live counts for the open tail
    techs = [
        _lpr(session, _Figures(w, now, head), w, settings, retention, counts),
        _video(session, _Figures(w, now, head), w, retention, counts),
        _gunshot(session, _Figures(w, now, head), w, settings),
    ]
    entries = latest_entries(session, year=year)
    for tech in techs:
        tech["entered"] = _entered(entries.get(tech["technology"]))
        tech["retention_compliant"] = retention["compliant"]
    report: dict[str, Any] = {
        "year": year, "generated_at": now.isoformat(), "window": w.as_dict(), "partial": partial,
        "checkpoint": head, "signed_checkpoint": _signed_checkpoint(anchor_from_settings(settings)),
        "public": public, "suppress_below": settings.transparency.suppress_below,
        "technologies": techs,
    }
    report["figures_digest"] = figures_digest(report)
    report["signoff"] = _signoff(session, year, report)
    return suppress(report) if public else report


def _signoff(session: Session, year: int, report: dict[str, Any]) -> dict[str, Any] | None:
    row = latest_signoff(session, year=year)
    if row is None:
        return None
    current = {t["technology"]: (t["entered"] or {}).get("version")
               for t in report["technologies"]}
    return {"signed_by": row.signed_by, "signed_at": row.signed_at.isoformat(),
            "statement": row.statement, "versions": row.versions,
            "figures_digest": row.figures_digest, "checkpoint_row_id": row.checkpoint_row_id,
            "entries_changed_since": row.versions != current,
            "figures_changed_since": row.figures_digest != report["figures_digest"]}


def _small(value: Any, threshold: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold


def suppress(report: dict[str, Any]) -> dict[str, Any]:
    """The public version: every count (and breakdown entry) in ``(0, N)`` becomes ``"<N"``."""
    n = report["suppress_below"]
    mark = f"<{n}"
    out = json.loads(json.dumps(report))
    for tech in out["technologies"]:
        for fig in tech["figures"].values():
            if fig["kind"] not in SUPPRESSIBLE:
                continue
            value = fig["value"]
            if isinstance(value, dict):
                hidden = {k: mark if _small(v, n) else v for k, v in value.items()}
                fig["suppressed"] = hidden != value
                fig["value"] = hidden
            elif _small(value, n):
                fig["value"], fig["suppressed"] = mark, True
    out["public"] = True
    return out
