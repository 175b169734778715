"""A year of synthetic activity gives report figures equal to direct SQL counts, on both
databases; the public version suppresses small counts; entries are versioned and signed off."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from rtcc.audit import Actor
from rtcc.errors import InvalidInputError
from rtcc.models import UTCDateTime
from rtcc.runtime.services import Services
from rtcc.transparency import entries
from rtcc.transparency.report import build
from tests.support.activity_year import END, START, YEAR, fill_year


def _sql(session: Session, statement: str, **extra: Any) -> Any:
    stmt = text(statement).bindparams(bindparam("s", type_=UTCDateTime()),
                                       bindparam("e", type_=UTCDateTime()))
    return session.execute(stmt, {"s": START, "e": END, **extra}).all()


def _one(session: Session, statement: str) -> int:
    return int(_sql(session, statement)[0][0])


@pytest.fixture
def year_report(services: Services) -> tuple[dict[str, Any], Services]:
    with services.sessions() as s:
        fill_year(s, services.settings.data_dir)
        s.commit()
    with services.sessions() as s:
        report = build(s, year=YEAR, settings=services.settings, now=services.clock.now())
    return report, services


def _figures(report: dict[str, Any], tech: str) -> dict[str, Any]:
    t = next(t for t in report["technologies"] if t["technology"] == tech)
    return {k: v["value"] for k, v in t["figures"].items()}


def _w(col: str) -> str:
    return f"{col} >= :s AND {col} < :e"


def test_lpr_figures_equal_direct_counts(year_report: tuple[dict[str, Any], Services]) -> None:
    report, services = year_report
    lpr = _figures(report, "lpr")
    with services.sessions() as s:
        reads = _one(s, f"SELECT count(*) FROM plate_read WHERE {_w('observed_at')}")
        assert reads > 300 and lpr["reads"] == reads
        assert lpr["reads_without_hit"] == _one(s, f"SELECT count(*) FROM plate_read p WHERE "
                                                f"{_w('p.observed_at')} AND NOT EXISTS "
                                                "(SELECT 1 FROM hit h WHERE h.read_id = p.id)")
        by_status = dict(_sql(s, f"SELECT status, count(*) FROM hit WHERE {_w('observed_at')} "
                                 "GROUP BY status"))
        assert lpr["hits"] == sum(by_status.values()) > 20
        assert (lpr["confirmed"], lpr["rejected"], lpr["unhandled"], lpr["acknowledged"]) == (
            by_status.get("confirmed", 0), by_status.get("rejected", 0),
            by_status.get("new", 0), by_status.get("acknowledged", 0))
        reasons = dict(_sql(s, "SELECT coalesce(reject_reason, 'unspecified'), count(*) FROM hit "
                               f"WHERE status = 'rejected' AND {_w('observed_at')} GROUP BY 1"))
        assert lpr["rejected_by_reason"] == reasons
        searches = _sql(s, "SELECT outcome, role, details FROM audit_event WHERE action = "
                           f"'reads.search' AND {_w('at')}")
        done = [r for r in searches if r[0] == "success"]
        assert lpr["searches"] == len(done) > 50
        assert lpr["searches_refused"] == len(searches) - len(done) > 0
        assert lpr["searches_by_role"] == dict(Counter(r[1] for r in done))
        purposes = Counter((_details(r[2]) or {}).get("purpose", "unspecified") for r in done)
        assert lpr["searches_by_purpose"] == dict(purposes)
        assert lpr["exports"] == _one(s, "SELECT count(*) FROM audit_event WHERE action = "
                                         f"'reads.export' AND outcome = 'success' AND {_w('at')}")
        shared = _sql(s, "SELECT DISTINCT destination, event_key FROM outbound_delivery WHERE ok "
                         f"AND event_type IN ('hit', 'hit_updated') AND {_w('at')}")
        assert lpr["data_shared"] == len(shared)
        assert lpr["legal_holds"] == _one(s, "SELECT count(*) FROM legal_hold WHERE data_class "
                                             f"IN ('plate_reads', 'hits', 'hit_reads') AND "
                                             f"{_w('created_at')}")
        assert lpr["hotlist_manual_entries"] == _one(
            s, f"SELECT count(*) FROM hotlist_entry WHERE owner IS NOT NULL AND {_w('added_at')}")
    assert lpr["retention_days"] == {"plate_reads": 90, "hits": 90, "hit_reads": 90}


def _details(value: Any) -> dict[str, Any] | None:
    return json.loads(value) if isinstance(value, str) else value


def test_video_and_gunshot_figures(year_report: tuple[dict[str, Any], Services]) -> None:
    report, services = year_report
    video, gun = _figures(report, "video"), _figures(report, "gunshot")
    with services.sessions() as s:
        assert video["segments"] == _one(s, "SELECT count(*) FROM video_segment WHERE "
                                            f"{_w('start_at')}")
        assert video["evidence_exports"] == _one(s, "SELECT count(*) FROM evidence_export "
                                                    f"WHERE {_w('created_at')}")
        assert video["legal_holds"] == _one(s, "SELECT count(*) FROM legal_hold WHERE "
                                               f"data_class = 'video' AND {_w('created_at')}")
        assert gun["alerts"] == _one(s, "SELECT count(*) FROM gunshot_alert WHERE version = 1 "
                                        f"AND {_w('detected_at')}") > 0
    assert 0 < video["camera_uptime"] < 1
    tech = {t["technology"]: t for t in report["technologies"]}
    assert tech["lpr"]["units"] == {"total": 4, "by_type": {"fixed": 3, "mobile": 1},
                                    "by_site": {"north": 2, "south": 1, "unassigned": 1}}
    assert tech["video"]["units"]["total"] == 5  # the disabled camera is not in service
    assert tech["lpr"]["uses_ai"] is True and tech["lpr"]["ai_models"]
    assert tech["gunshot"]["units"] == {"total": 0}


def test_every_figure_carries_its_window_and_checkpoint(
    year_report: tuple[dict[str, Any], Services],
) -> None:
    report, services = year_report
    with services.sessions() as s:
        head = s.execute(text("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")).one()
    for tech in report["technologies"]:
        for name, fig in tech["figures"].items():
            assert fig["checkpoint"] == {"row_id": head[0], "row_hash": head[1]}, name
            assert fig["window"]["start"] in (START.isoformat(), report["generated_at"]), name
    reads = report["technologies"][0]["figures"]["reads"]
    assert reads["window"] == {"start": START.isoformat(), "end": END.isoformat()}


def test_public_version_suppresses_small_counts(services: Services) -> None:
    with services.sessions() as s:
        fill_year(s, services.settings.data_dir)
        s.commit()
        full = build(s, year=YEAR, settings=services.settings, now=services.clock.now())
        public = build(s, year=YEAR, settings=services.settings, now=services.clock.now(),
                       public=True)
    hidden = 0
    for f_tech, p_tech in zip(full["technologies"], public["technologies"], strict=True):
        for name, fig in f_tech["figures"].items():
            value, shown = fig["value"], p_tech["figures"][name]["value"]
            if fig["kind"] == "count" and isinstance(value, int) and 0 < value < 5:
                assert shown == "<5" and p_tech["figures"][name]["suppressed"], name
                hidden += 1
            elif fig["kind"] == "breakdown":
                for k, v in value.items():
                    assert shown[k] == ("<5" if 0 < v < 5 else v)
            else:
                assert shown == value, name
    assert hidden > 0  # the synthetic year has small counts (e.g. gunshot evidence found)


def test_entries_are_versioned_and_signed_off(services: Services) -> None:
    now = services.clock.now()
    sup = Actor(username="sup1", roles=("supervisor",))
    with services.sessions() as s:
        entries.enter(s, year=YEAR, technology="lpr", fields={"funding": "General fund"},
                      actor=sup, now=now)
        entries.enter(s, year=YEAR, technology="lpr", actor=sup, now=now,
                      fields={"funding": "General fund and a state grant", "complaints": "None"})
        with pytest.raises(InvalidInputError, match="unknown budget"):
            entries.enter(s, year=YEAR, technology="lpr", fields={"budget": "x"}, actor=sup,
                          now=now)
        with pytest.raises(InvalidInputError, match="technology"):
            entries.enter(s, year=YEAR, technology="drones", fields={}, actor=sup, now=now)
        s.commit()
        report = build(s, year=YEAR, settings=services.settings, now=now)
        entries.sign_off(s, year=YEAR, report=report, statement="Reviewed.", actor=sup, now=now)
        s.commit()
        assert [e.version for e in entries.versions(s, year=YEAR, technology="lpr")] == [2, 1]
        report = build(s, year=YEAR, settings=services.settings, now=now)
        lpr = report["technologies"][0]
        assert lpr["entered"]["version"] == 2
        assert lpr["entered"]["fields"]["funding"] == "General fund and a state grant"
        assert report["signoff"]["signed_by"] == "sup1"
        assert not report["signoff"]["entries_changed_since"]
        entries.enter(s, year=YEAR, technology="video", fields={"how_used": "x"}, actor=sup,
                      now=now)
        s.commit()
        report = build(s, year=YEAR, settings=services.settings,
                       now=datetime(2026, 3, 2, tzinfo=UTC))
    assert report["signoff"]["entries_changed_since"]
