"""Historical hits: match reads already stored against entries just added or imported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist.hits import record_hit
from hotlist.matcher import HotlistIndex, load_index, read_state
from rtcc.config import MatchSettings
from rtcc.models import Hit, PlateRead
from rtcc.plates import alternatives_from_json

PAGE = 2000


def new_entries_index(
    session: Session,
    *,
    hotlist_id: int,
    first_new_id: int,
    new_keys: frozenset[tuple[str, str | None]] | None,
    now: datetime,
    rules: MatchSettings,
) -> HotlistIndex:
    """The entries an import added that were not on the list before (``new_keys``)."""
    index = load_index(
        session, now=now, rules=rules, hotlist_ids=[hotlist_id], min_entry_id=first_new_id
    )
    if new_keys is None:
        return index
    return HotlistIndex([e for e in index.entries if (e.plate, e.state) in new_keys], rules)


def match_past_reads(
    session: Session,
    *,
    index: HotlistIndex,
    since: datetime,
    now: datetime,
    dedup_window_s: float,
) -> list[Hit]:
    """Match every read observed since ``since`` against ``index``; store the hits as
    historical. Returns the hits created (paged by id, so memory stays flat)."""
    if not index.size:
        return []
    created: list[Hit] = []
    last_id = 0
    while True:
        reads = list(
            session.scalars(
                select(PlateRead)
                .where(PlateRead.id > last_id, PlateRead.observed_at >= since)
                .order_by(PlateRead.id)
                .limit(PAGE)
            )
        )
        if not reads:
            return created
        for read in reads:
            conf = read.char_confidences or None
            alts = alternatives_from_json(read.char_alternatives) or None
            found = index.match(
                read.plate,
                state=read_state(read.region),
                now=now,
                confidences=conf,
                alternatives=alts,
                region=read.region,
            )
            for match in found:
                hit, is_new = record_hit(
                    session,
                    read=read,
                    match=match,
                    now=now,
                    dedup_window_s=dedup_window_s,
                    historical=True,
                )
                if is_new:
                    created.append(hit)
        last_id = reads[-1].id
