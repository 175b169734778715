"""A year of synthetic activity (seeded): cameras, reads, hits and their dispositions, searches,
exports, deliveries, holds, video, camera status changes, gunshot alerts, hotlist entries.
Plus a few rows just outside the year, to catch off-by-one windows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.models import (
    Camera,
    CameraStatus,
    EvidenceExport,
    GunshotAlert,
    GunshotOutcome,
    Hotlist,
    HotlistEntry,
    LegalHold,
    OutboundDelivery,
)
from tests.support import retention_data as factories

YEAR = 2025
START = datetime(YEAR, 1, 1, tzinfo=UTC)
END = datetime(YEAR + 1, 1, 1, tzinfo=UTC)
CAMERAS = [("north1", "north", False, True), ("north2", "north", False, True),
           ("south1", "south", False, True), ("trailer", None, True, True),
           ("lobby", "hq", False, False)]
PURPOSES = ["investigation", "stolen_vehicle", "missing_person", "warrant"]
ROLES = ["detective", "supervisor"]


def _at(rng: random.Random, *, edge: bool = False) -> datetime:
    if edge:  # within a second of either end of the year, inside or outside
        return rng.choice([START - timedelta(microseconds=1), START, END - timedelta(seconds=1),
                           END, END + timedelta(days=3), START - timedelta(days=2)])
    return START + timedelta(seconds=rng.randrange(int((END - START).total_seconds())))


def _cameras(session: Session) -> None:
    for cam_id, site, mobile, lpr in CAMERAS:
        session.add(Camera(id=cam_id, name=cam_id, site=site, mobile=mobile, lpr=lpr,
                           created_at=START, updated_at=START))
    session.add(Camera(id="retired", name="retired", enabled=False, created_at=START,
                       updated_at=START))
    session.flush()


def _reads_and_hits(session: Session, rng: random.Random, data_dir: object) -> None:
    for i in range(400):
        cam = rng.choice([c[0] for c in CAMERAS if c[3]])
        read = factories.read(session, data_dir, _at(rng, edge=i % 40 == 0),  # type: ignore[arg-type]
                              plate=f"P{rng.randrange(10**5):05d}", cam_id=cam, files=False)
        if rng.random() < 0.15:
            hit = factories.hit(session, read)
            hit.status = rng.choice(["new", "acknowledged", "confirmed", "rejected", "rejected"])
            if hit.status == "rejected":
                hit.reject_reason = rng.choice(["misread", "wrong_state", None])


def _audit(session: Session, rng: random.Random) -> None:
    events = []
    for i in range(180):
        kind = rng.random()
        at = _at(rng, edge=i % 30 == 0)
        actor = Actor(username=f"user{rng.randrange(6)}", roles=(rng.choice(ROLES),))
        if kind < 0.7:
            details = {"reason": "synthetic search", "purpose": rng.choice(PURPOSES)}
            if rng.random() < 0.1:
                details.pop("purpose")  # searches from before purposes were required
            outcome = "refused" if rng.random() < 0.1 else "success"
            events.append((at, actor, "reads.search", outcome, details))
        elif kind < 0.85:
            events.append((at, actor, "reads.export", "success", {"format": "csv"}))
        else:
            events.append((at, actor, "reads.view", "success", None))
    for at, actor, action, outcome, details in sorted(events, key=lambda e: e[0]):
        audit.record(session, now=at, actor=actor, action=action, outcome=outcome,
                     case_number="C-1", details=details)


def _other(session: Session, rng: random.Random) -> None:
    for i in range(60):
        at = _at(rng, edge=i % 20 == 0)
        session.add(OutboundDelivery(destination=rng.choice(["dispatch", "county"]),
                                     kind="webhook", event_type=rng.choice(
                                         ["hit", "hit_updated", "gunshot", "camera_status"]),
                                     event_key=f"hit:{rng.randrange(20)}", attempt=1,
                                     ok=rng.random() < 0.8, at=at))
        session.add(LegalHold(case_number=f"H{i}", reason="synthetic", data_class=rng.choice(
            ["plate_reads", "hits", "video"]), created_by="sup", created_at=_at(rng)))
    for i in range(30):
        at = _at(rng, edge=i % 10 == 0)
        session.add(EvidenceExport(case_number="C-1", reason="synthetic", requested_by="det",
                                   source_kind="window", cameras=["north1"], start_at=at,
                                   end_at=at, created_at=at))
        alert_id = f"A{i}"
        session.add(GunshotAlert(source=rng.choice(["shotspot", "other"]), alert_id=alert_id,
                                 version=1, type="gunfire", lat=0, lon=0, detected_at=at,
                                 received_at=at, payload={}))
        if rng.random() < 0.6:
            session.add(GunshotOutcome(source="shotspot", alert_id=alert_id,
                                       evidence_found=rng.random() < 0.5, recorded_by="det",
                                       recorded_at=at + timedelta(hours=1)))
    hl = Hotlist(name="manual", created_at=START, updated_at=START)
    session.add(hl)
    session.flush()
    for i in range(25):
        at = _at(rng)
        session.add(HotlistEntry(hotlist_id=hl.id, plate=f"M{i:04d}", owner="sup" if i % 2 else
                                 None, added_at=at, expires_at=at + timedelta(days=30)))


def _video(session: Session, rng: random.Random, data_dir: object) -> None:
    for i in range(50):
        factories.segment(session, data_dir, _at(rng, edge=i % 25 == 0),  # type: ignore[arg-type]
                          cam_id=rng.choice(["north1", "lobby"]))
    for cam_id in ("north1", "lobby"):
        for i in range(12):
            session.add(CameraStatus(camera_id=cam_id, state=rng.choice(["online", "offline"]),
                                     at=START + timedelta(days=30 * i, hours=rng.randrange(24))))


def fill_year(session: Session, data_dir: object, seed: int = 78) -> None:
    rng = random.Random(seed)
    _cameras(session)
    _reads_and_hits(session, rng, data_dir)
    _audit(session, rng)
    _other(session, rng)
    _video(session, rng, data_dir)
    session.flush()
