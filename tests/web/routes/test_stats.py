"""Reads and hits per UTC day for the auditor's charts (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rtcc.models import Camera, Hit, Hotlist, PlateRead
from rtcc.runtime.services import Services


def _seed(services: Services) -> None:
    now = services.clock.now()  # 2026-03-01 12:00 UTC
    with services.sessions() as s:
        s.add(Camera(id="north", name="north", created_at=now, updated_at=now))
        hotlist = Hotlist(name="L", created_at=now, updated_at=now)  # who sees a hit depends
        s.add(hotlist)  # on its list (rtcc.auth.visibility); a hit without one: supervisors only
        s.flush()
        times = [now, now - timedelta(hours=11, minutes=59), now - timedelta(hours=12, seconds=1),
                 now - timedelta(days=3), now - timedelta(days=30)]
        for i, at in enumerate(times):
            s.add(PlateRead(camera_id="north", track_key=f"t{i}", plate="AB12CDE", confidence=0.9,
                            observed_at=at, last_seen_at=at, created_at=now, updated_at=now))
        s.add(Hit(camera_id="north", plate="AB12CDE", entry_plate="AB12CDE", hotlist_name="L",
                  hotlist_id=hotlist.id,
                  observed_at=times[2], last_seen_at=times[2], created_at=now, updated_at=now))
        s.commit()


def test_daily_counts_by_utc_day(services: Services, api_client: Any) -> None:
    _seed(services)
    resp = api_client("auditor").get("/api/stats/daily", params={"days": 7})
    assert resp.status_code == 200
    body = resp.json()
    days = {d["day"]: d for d in body["days"]}
    assert len(body["days"]) == 7 and body["until"] == "2026-03-01"
    # 12:00 and 00:01 on the 1st; 23:59:59 on 28 Feb; three days back; 30 days back is outside.
    assert days["2026-03-01"] == {"day": "2026-03-01", "reads": 2, "hits": 0}
    assert days["2026-02-28"] == {"day": "2026-02-28", "reads": 1, "hits": 1}
    assert days["2026-02-26"]["reads"] == 1
    assert sum(d["reads"] for d in body["days"]) == 4
    assert body["since"] == "2026-02-23"


def test_daily_is_for_auditors_only(api_client: Any) -> None:
    assert api_client("officer").get("/api/stats/daily").status_code == 403
    assert api_client(None).get("/api/stats/daily").status_code == 401
    assert api_client("auditor").get("/api/stats/daily", params={"days": 0}).status_code == 422
