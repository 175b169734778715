"""Write-once hit evidence and alerting that follows the car.

A hit keeps the read, images and entry facts that raised it. A later pass of the same car folds
into the hit as a ``HitSighting`` (its own read and images), never replacing the first read.
A live pass alerts again when the plate's matching hit is only historical, or was handled longer
than the quiet period ago: then it raises a new hit rather than folding silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from hotlist.matcher import Match
from rtcc.db import insert_ignore
from rtcc.models import Hit, HitSighting, Hotlist, PlateRead
from rtcc.vocab import HitStatus

HANDLED = (HitStatus.ACKNOWLEDGED, HitStatus.CONFIRMED, HitStatus.REJECTED)


@dataclass(frozen=True)
class HitOutcome:
    """What one read did to the hits: ``created`` a hit or folded into one; ``alert`` when the
    console should raise a banner and sound for it."""

    hit: Hit
    created: bool
    alert: bool


@dataclass(frozen=True)
class FoldRules:
    dedup_window_s: float
    realert_after_s: float = 600.0


def record(
    session: Session,
    *,
    read: PlateRead,
    match: Match,
    now: datetime,
    rules: FoldRules,
    historical: bool = False,
    new_read: bool = False,
) -> HitOutcome:
    """Store what ``read`` matching ``match`` means for the hits (flushed, not committed).
    ``new_read``: the read's row was inserted in this transaction, so no hit rests on it yet
    (saves looking for one)."""
    entry_id = match.entry.entry_id
    same = None if new_read else _hit_of_read(session, read.id, entry_id)
    if same is not None:  # the same pass again (its final after its preview)
        _touch(session, same, read, now)
        return HitOutcome(same, created=False, alert=False)
    existing = _foldable(session, read, entry_id, now, rules, historical=historical)
    if existing is not None:
        append_sighting(session, hit=existing, read=read, now=now)
        return HitOutcome(existing, created=False, alert=False)
    hit = _new_hit(read, match, now, historical=historical)
    session.add(hit)
    session.flush()
    alert = not historical or _alerts_on_historical(session, hit)
    return HitOutcome(hit, created=True, alert=alert)


def record_new(
    session: Session, *, items: list[tuple[PlateRead, Match]], now: datetime, rules: FoldRules
) -> list[HitOutcome]:
    """:func:`record` for live reads inserted in this transaction (``new_read``), many at once:
    the same outcomes as recording each in turn, in a fixed number of statements — one look
    for the hits they may fold into, one insert of the new hits. Two items of the same car
    (entry, camera, plate) depend on each other: then each is recorded in turn."""
    keys = [(m.entry.entry_id, r.camera_id, r.plate) for r, m in items]
    if len(set(keys)) < len(keys):
        return [
            record(session, read=r, match=m, now=now, rules=rules, new_read=True) for r, m in items
        ]
    into = _foldable_many(session, items, keys, now, rules)
    rows = [_hit_row(read, match, now) for i, (read, match) in enumerate(items) if into[i] is None]
    new = iter(zip(_insert_hits(session, rows), rows, strict=True))
    out = []
    for i, (read, match) in enumerate(items):
        hit_id = into[i]
        if hit_id is None:  # a new hit, built from the row it was stored from (no reload)
            new_id, row = next(new)
            out.append(HitOutcome(Hit(id=new_id, **row), created=True, alert=True))
            continue
        existing = session.get(Hit, hit_id)
        if existing is None:  # deleted meanwhile (retention): recorded the usual way
            out.append(record(session, read=read, match=match, now=now, rules=rules, new_read=True))
            continue
        append_sighting(session, hit=existing, read=read, now=now)
        out.append(HitOutcome(existing, created=False, alert=False))
    return out


def _foldable_many(
    session: Session,
    items: list[tuple[PlateRead, Match]],
    keys: list[tuple[int, str, str]],
    now: datetime,
    rules: FoldRules,
) -> list[int | None]:
    """:func:`_foldable`'s answer (a live pass) for each item, in one query: the newest hit
    of the item's entry, camera and plate whose time overlaps the pass within the window."""
    if rules.dedup_window_s <= 0 or not items:
        return [None] * len(items)
    window = timedelta(seconds=rules.dedup_window_s)
    columns = (Hit.id, Hit.entry_id, Hit.camera_id, Hit.plate, Hit.observed_at, Hit.last_seen_at)
    stmt = select(*columns).where(
        Hit.entry_id.in_(sorted({k[0] for k in keys})),  # the rest of the key: below
        Hit.last_seen_at >= min(r.observed_at for r, _ in items) - window,
        Hit.observed_at <= max(r.last_seen_at for r, _ in items) + window,
        Hit.historical.is_(False),
        _quiet(now, rules.realert_after_s),
    )
    found: dict[tuple[int, str, str], list[Any]] = {}
    for row in session.execute(stmt):
        found.setdefault((row.entry_id, row.camera_id, row.plate), []).append(row)
    out: list[int | None] = []
    for (read, _), key in zip(items, keys, strict=True):
        fits = [
            h.id
            for h in found.get(key, ())
            if h.last_seen_at >= read.observed_at - window
            and h.observed_at <= read.last_seen_at + window
        ]
        out.append(max(fits, default=None))
    return out


def _insert_hits(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert hit rows in one statement; their ids, in the rows' order (matched back by read
    and entry: one hit each in a batch; a hit has no key but its id, nothing is ignored)."""
    got = {
        (read_id, entry_id): hit_id
        for hit_id, read_id, entry_id in insert_ignore(
            session, Hit.__table__, rows, ("id", "read_id", "entry_id")
        )
    }
    if len(got) != len(rows):
        raise RuntimeError(f"{len(rows)} hits inserted, {len(got)} ids returned")
    return [int(got[(row["read_id"], row["entry_id"])]) for row in rows]


def _hit_of_read(session: Session, read_id: int, entry_id: int) -> Hit | None:
    direct = session.scalar(select(Hit).where(Hit.read_id == read_id, Hit.entry_id == entry_id))
    if direct is not None:
        return direct
    return session.scalar(
        select(Hit)
        .join(HitSighting, HitSighting.hit_id == Hit.id)
        .where(HitSighting.read_id == read_id, Hit.entry_id == entry_id)
        .limit(1)
    )


def _touch(session: Session, hit: Hit, read: PlateRead, now: datetime) -> None:
    hit.last_seen_at = max(hit.last_seen_at, read.last_seen_at)
    hit.updated_at = now
    sighting = session.scalar(
        select(HitSighting).where(HitSighting.hit_id == hit.id, HitSighting.read_id == read.id)
    )
    if sighting is not None:
        sighting.last_seen_at = max(sighting.last_seen_at, read.last_seen_at)
    session.flush()


def _foldable(
    session: Session,
    read: PlateRead,
    entry_id: int,
    now: datetime,
    rules: FoldRules,
    *,
    historical: bool,
) -> Hit | None:
    """The hit this pass folds into, if any: same entry, camera and plate within the window;
    a live pass never folds into a historical hit, nor into one handled before the quiet
    period (it alerts again instead)."""
    if rules.dedup_window_s <= 0:
        return None
    window = timedelta(seconds=rules.dedup_window_s)
    stmt = select(Hit).where(
        Hit.entry_id == entry_id,
        Hit.camera_id == read.camera_id,
        Hit.plate == read.plate,
        Hit.last_seen_at >= read.observed_at - window,
        Hit.observed_at <= read.last_seen_at + window,
    )
    if not historical:
        stmt = stmt.where(Hit.historical.is_(False), _quiet(now, rules.realert_after_s))
    return session.scalar(stmt.order_by(Hit.id.desc()).limit(1))


def _quiet(now: datetime, realert_after_s: float) -> ColumnElement[bool]:
    """Not handled, or handled within the quiet period."""
    since = now - timedelta(seconds=realert_after_s)
    return or_(  # type: ignore[no-any-return]
        Hit.status.not_in([str(s) for s in HANDLED]),
        and_(Hit.status_at.is_not(None), Hit.status_at >= since),
    )


def append_sighting(session: Session, *, hit: Hit, read: PlateRead, now: datetime) -> HitSighting:
    """Append ``read`` as a later sighting of ``hit``; the hit's own read and images stay."""
    sighting = HitSighting(
        hit_id=hit.id,
        read_id=read.id,
        camera_id=read.camera_id,
        plate=read.plate,
        confidence=read.confidence,
        snapshot_path=read.snapshot_path,
        crop_path=read.crop_path,
        observed_at=read.observed_at,
        last_seen_at=read.last_seen_at,
        created_at=now,
    )
    session.add(sighting)
    hit.occurrences += 1
    hit.last_seen_at = max(hit.last_seen_at, read.last_seen_at)
    hit.updated_at = now
    session.flush()
    return sighting


def _new_hit(read: PlateRead, match: Match, now: datetime, *, historical: bool) -> Hit:
    return Hit(**_hit_row(read, match, now, historical=historical))


def _hit_row(
    read: PlateRead, match: Match, now: datetime, *, historical: bool = False
) -> dict[str, Any]:
    """Every column of a new hit but its id (write-once evidence: the read's images and the
    entry's facts as they were matched)."""
    entry = match.entry
    return {
        "read_id": read.id,
        "entry_id": entry.entry_id,
        "hotlist_id": entry.hotlist_id,
        "camera_id": read.camera_id,
        "plate": read.plate,
        "entry_plate": entry.plate,
        "hotlist_name": entry.hotlist_name,
        "reason": entry.reason,
        "entry_state": entry.state,
        "case_number": entry.case_number,
        "entry_description": entry.description,
        "entry_expires_at": entry.expires_at,
        "priority": entry.priority,
        "match_type": match.match_type,
        "distance": match.distance,
        "score": match.llr,
        "diff": [list(d) for d in match.diff] or None,
        "needs_confirmation": match.needs_confirmation,
        "historical": historical,
        "status": HitStatus.NEW.value,
        "status_by": None,
        "status_at": None,
        "reject_reason": None,
        "reject_text": None,
        "visually_confirmed": False,
        "occurrences": 1,
        "snapshot_path": read.snapshot_path,
        "crop_path": read.crop_path,
        "read_confidence": read.confidence,
        "confirm_requested_by": None,
        "observed_at": read.observed_at,
        "last_seen_at": read.last_seen_at,
        "created_at": now,
        "updated_at": now,
    }


def _alerts_on_historical(session: Session, hit: Hit) -> bool:
    hotlist = session.get(Hotlist, hit.hotlist_id) if hit.hotlist_id else None
    return bool(hotlist and hotlist.alert_on_historical)


def sightings(session: Session, hit_id: int) -> list[HitSighting]:
    return list(
        session.scalars(
            select(HitSighting).where(HitSighting.hit_id == hit_id).order_by(HitSighting.id)
        )
    )


def file_sha256(data_dir: Path, rel: str | None) -> str | None:
    """SHA-256 of a media file under ``data_dir`` (None when absent or outside it)."""
    if not rel:
        return None
    root = data_dir.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def evidence_shown(data_dir: Path, hit: Hit) -> dict[str, Any]:
    """The images an officer acting on ``hit`` was shown, with their SHA-256 (for the audit)."""
    return {
        "read_id": hit.read_id,
        "snapshot": {"path": hit.snapshot_path, "sha256": file_sha256(data_dir, hit.snapshot_path)},
        "crop": {"path": hit.crop_path, "sha256": file_sha256(data_dir, hit.crop_path)},
    }
