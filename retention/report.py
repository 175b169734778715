"""The auditor's report: policy, oldest item, items past period, holds, runs, reconciliation.

Computed from the database and the disk alone (not from the job's own claims), so an auditor
can check it without trusting the job.

JSON keys: ``generated_at``; ``compliant`` (bool) and ``reasons`` (why not); ``classes`` ->
{video, plate_reads (reads without a hit), hit_reads, hits, camera_status} -> ``policy_days``,
``cutoff``, ``items``, ``oldest_at``, ``oldest_age_days``, ``past_period`` (unheld items
past their period: 0 when compliant), ``held_past_period``, ``legal_max_days`` (the site's
legal limit, ``retention.legal_max_days``; a policy beyond it makes the report
non-compliant); ``classes.audit`` -> ``policy_days``,
``minimum`` (true: kept at least that long, never purged), ``items``, ``oldest_at``,
``oldest_age_days``, ``chain_ok``, ``chain_problem``; ``holds`` (active holds: ``id``,
``case_number``, ``reason``, ``data_class``, ``scope``, ``expires_at``, ``created_by``, ...);
``runs`` -> ``last_successful_at``, ``last_successful_run_id``,
``last_successful_deleted_rows``, ``failed_last_30_days`` (failed, refused, interrupted);
``reconciliation`` -> ``files_total``, ``orphan_files``, ``orphan_bytes``, ``in_flight_files``
(no row yet, younger than ``orphan_grace_s``), ``missing_files`` (rows whose file is gone),
``orphan_sample``, ``missing_sample``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from retention import candidates as cand
from retention import files
from retention.executor import policy_from_settings
from retention.holds import active_specs, hold_payload, list_holds
from retention.plan import DATA_CLASSES, effective_class, plan
from rtcc.audit import verify
from rtcc.config import RetentionSettings
from rtcc.models import AuditEvent, PlateRead, RetentionRun

FAILED = ("failed", "refused", "interrupted")
_PAGE = 2000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _age_days(now: datetime, value: datetime | None) -> float | None:
    return None if value is None else round((now - value).total_seconds() / 86400, 3)


def _past_period(
    session: Session, now: datetime, settings: RetentionSettings
) -> tuple[Counter[str], Counter[str]]:
    """Items past their period and not held (``past``), and held items past period."""
    policy = policy_from_settings(settings)
    cut = cand.Cutoffs.of(policy, now)
    holds = active_specs(session, now=now)
    past: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for name in cand.JOB_CLASSES:
        after = 0
        while batch := cand.page(session, name, cut, after_id=after, limit=_PAGE):
            after = batch[-1].id
            decided = plan(now, policy, holds, batch)
            for c in decided.delete:
                past[effective_class(c.data_class, c.hit_ids)] += 1
            for c in decided.held_items:
                held[effective_class(c.data_class, c.hit_ids)] += 1
    return past, held


def _class_stats(session: Session, name: str) -> tuple[int, datetime | None]:
    if name == "hit_reads":
        has_hit = cand.has_hit()
        row = session.execute(
            select(func.count(), func.min(PlateRead.observed_at)).where(has_hit)
        ).one()
        return int(row[0]), row[1]
    if name == "plate_reads":
        has_hit = cand.has_hit()
        row = session.execute(
            select(func.count(), func.min(PlateRead.observed_at)).where(~has_hit)
        ).one()
        return int(row[0]), row[1]
    return cand.count_all(session, name), cand.oldest(session, name)


def _runs(session: Session, now: datetime) -> dict[str, Any]:
    ok = session.scalars(
        select(RetentionRun)
        .where(RetentionRun.status == "ok", RetentionRun.dry_run.is_(False))
        .order_by(RetentionRun.id.desc())
        .limit(1)
    ).first()
    since = now - timedelta(days=30)
    stale = now - timedelta(hours=6)
    failed = session.scalar(
        select(func.count())
        .select_from(RetentionRun)
        .where(RetentionRun.started_at >= since, RetentionRun.dry_run.is_(False))
        .where(
            or_(
                RetentionRun.status.in_(FAILED),
                (RetentionRun.status == "running") & (RetentionRun.started_at < stale),
            )
        )
    )
    return {
        "last_successful_at": _iso(ok.finished_at) if ok else None,
        "last_successful_run_id": ok.id if ok else None,
        "last_successful_deleted_rows": ok.deleted_rows if ok else None,
        "failed_last_30_days": int(failed or 0),
    }


def build_report(
    session: Session, *, now: datetime, settings: RetentionSettings, data_dir: Path
) -> dict[str, Any]:
    policy = policy_from_settings(settings)
    past, held = _past_period(session, now, settings)
    classes: dict[str, Any] = {}
    reasons: list[str] = []
    for name in DATA_CLASSES:
        count, oldest = _class_stats(session, name)
        classes[name] = {
            "policy_days": policy.days(name),
            "cutoff": _iso(policy.cutoff(name, now)),
            "items": count,
            "oldest_at": _iso(oldest),
            "oldest_age_days": _age_days(now, oldest),
            "past_period": past[name],
            "held_past_period": held[name],
            "legal_max_days": settings.legal_max_days.get(name),
        }
        legal = settings.legal_max_days.get(name)
        if legal is not None and policy.days(name) > legal:
            reasons.append(f"policy: {name} is kept {policy.days(name)} days, beyond the "
                           f"legal limit of {legal} days configured for this site")
        if past[name]:
            reasons.append(f"{name}: {past[name]} item(s) past the {policy.days(name)}-day period")
    classes["audit"] = _audit_stats(session, now, policy.audit)
    if not classes["audit"]["chain_ok"]:
        reasons.append(f"audit: chain broken ({classes['audit']['chain_problem']})")
    runs = _runs(session, now)
    limit = timedelta(seconds=2 * settings.interval_s + settings.first_run_delay_s)
    last_ok = runs["last_successful_at"]
    if last_ok is None:
        reasons.append("runs: no successful retention run recorded")
    elif now - datetime.fromisoformat(last_ok) > limit:
        reasons.append(f"runs: last successful run {last_ok} is older than {limit}")
    rec = files.find_orphans(session, data_dir, now=now, grace_s=settings.orphan_grace_s)
    files.find_missing(session, data_dir, rec)
    if rec.orphan_files:
        reasons.append(f"reconciliation: {rec.orphan_files} file(s) without a row")
    if rec.missing_files:
        reasons.append(f"reconciliation: {rec.missing_files} row file(s) missing on disk")
    return {
        "generated_at": now.isoformat(),
        "compliant": not reasons,
        "reasons": reasons,
        "classes": classes,
        "holds": [hold_payload(h, now=now) for h in list_holds(session, now=now)],
        "runs": runs,
        "reconciliation": {
            "files_total": rec.files_total,
            "orphan_files": rec.orphan_files,
            "orphan_bytes": rec.orphan_bytes,
            "in_flight_files": rec.in_flight_files,
            "missing_files": rec.missing_files,
            "orphan_sample": rec.orphan_sample,
            "missing_sample": rec.missing_sample,
        },
    }


def _audit_stats(session: Session, now: datetime, days: int) -> dict[str, Any]:
    count, oldest = session.execute(select(func.count(), func.min(AuditEvent.at))).one()
    problem = verify(session)
    return {
        "policy_days": days,
        "minimum": True,  # audit is kept at least this long; the job never deletes audit rows
        "items": int(count),
        "oldest_at": _iso(oldest),
        "oldest_age_days": _age_days(now, oldest),
        "chain_ok": problem is None,
        "chain_problem": problem.message if problem else None,
    }


def format_text(report: dict[str, Any]) -> str:
    lines = [f"retention report {report['generated_at']}: compliant={report['compliant']}"]
    lines += [f"  NOT COMPLIANT: {r}" for r in report["reasons"]]
    for name, c in report["classes"].items():
        lines.append(
            f"  {name:<14} policy {c['policy_days']:>4} d  items {c['items']:>8}  "
            f"oldest {c['oldest_age_days']} d  past period {c.get('past_period', '-')}  "
            f"held {c.get('held_past_period', '-')}"
        )
    for h in report["holds"]:
        lines.append(
            f"  hold {h['id']} case {h['case_number']} {h['data_class']} until {h['expires_at']}"
        )
    runs = report["runs"]
    lines.append(
        f"  last successful run {runs['last_successful_at']}; "
        f"failed in 30 d: {runs['failed_last_30_days']}"
    )
    rec = report["reconciliation"]
    lines.append(
        f"  files {rec['files_total']}: orphan {rec['orphan_files']}, rows with missing file "
        f"{rec['missing_files']}, in flight {rec['in_flight_files']}"
    )
    return "\n".join(lines)
