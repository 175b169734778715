"""Every look at personal data adds one audit event naming the user, their credential, the time
and what was seen (feeds: one event per request listing the items); SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cameras.media import live_frame_path, read_media_paths
from cameras.messages import ReadMessage, SegmentMessage
from hotlist.importer import parse_text
from rtcc.audit import SYSTEM
from rtcc.db import transaction
from rtcc.models import AuditEvent, Camera, Hit, VideoSegment
from rtcc.plates import PlateReadRecord
from rtcc.runtime.hotlists import import_hotlist
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from rtcc.vocab import ReadStatus

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


@dataclass(frozen=True)
class World:
    hit_id: int
    read_id: int
    hotlist_id: int
    segment_id: int
    media: tuple[str, str]


@pytest.fixture
def world(api_app: Any) -> World:
    """One camera with a live frame and a segment, one read on a restricted list (a hit)."""
    svc: Services = api_app.state.services
    now, data = svc.clock.now(), svc.settings.data_dir
    with transaction(svc.sessions) as s:
        s.add(Camera(id="cam-a", name="cam-a", created_at=now, updated_at=now))
    live_frame_path(data, "cam-a").parent.mkdir(parents=True, exist_ok=True)
    live_frame_path(data, "cam-a").write_bytes(JPEG)
    hotlist_id = import_hotlist(svc, name="secret", actor=SYSTEM, list_fields={"restricted": True},
                                imported=parse_text("plate\nSECR333\n", format="csv")).hotlist_id
    ingest = Ingestor(svc)
    (data / "video/cam-a").mkdir(parents=True)
    (data / "video/cam-a/seg.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    ingest.handle(SegmentMessage("cam-a", now - timedelta(minutes=1), now,
                                 "video/cam-a/seg.mp4", 12))
    snap, crop = read_media_paths("cam-a", "t1", now)
    for rel in (snap, crop):
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_bytes(JPEG)
    record = PlateReadRecord(
        track_key="t1", status=ReadStatus.FINAL, plate="SECR333", confidence=0.97,
        char_confidences=(0.97,) * 7, char_alternatives=tuple(((c, 0.97),) for c in "SECR333"),
        alternatives=(), region=None, format_ok=True, frames=3, first_seen=now, last_seen=now,
        box=(1, 2, 3, 4))
    ingest.handle(ReadMessage("cam-a", record, snap, crop))
    with svc.sessions() as s:
        hit = s.scalars(select(Hit)).one()
        segment_id = s.scalars(select(VideoSegment.id)).one()
        return World(hit.id, int(hit.read_id or 0), hotlist_id, segment_id,
                     tuple("/media/" + p.removeprefix("media/") for p in (snap, crop)))  # type: ignore[arg-type]


def looks(api_app: Any) -> list[AuditEvent]:
    with api_app.state.services.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action.startswith("view."))
                              .order_by(AuditEvent.id)))


def details(event: AuditEvent) -> dict[str, Any]:
    assert event.details is not None
    return event.details


def test_every_look_adds_one_audit_event_naming_the_user(
    world: World, api_app: Any, api_client: Any
) -> None:
    sup, admin = api_client("supervisor"), api_client("admin", bearer=True)
    w = world
    cases: list[tuple[Any, str, str, str | None, Any]] = [
        # (client, url, action, target, an item the event must list)
        (sup, "/api/hits", "view.hits", None, {"hit": w.hit_id, "plate": "SECR333"}),
        (sup, f"/api/hits/{w.hit_id}", "view.hit", f"hit:{w.hit_id}", None),
        (sup, "/api/reads/recent", "view.reads.live", None, {"read": w.read_id,
                                                             "plate": "SECR333"}),
        (sup, w.media[0], "view.media", "media:" + w.media[0].removeprefix("/media/"), None),
        (sup, w.media[1], "view.media", "media:" + w.media[1].removeprefix("/media/"), None),
        (sup, "/api/cameras/cam-a/segments", "view.segments", "camera:cam-a", w.segment_id),
        (sup, f"/api/cameras/cam-a/segments/{w.segment_id}/video.mp4", "view.segment",
         f"segment:{w.segment_id}", None),
        (sup, "/api/video/cam-a/timeline", "view.segments", "camera:cam-a", w.segment_id),
        (sup, "/api/cameras/cam-a/snapshot.jpg", "view.camera.frame", "camera:cam-a", None),
        (sup, f"/api/hotlists/{w.hotlist_id}/entries", "view.hotlist.entries",
         f"hotlist:{w.hotlist_id}", None),
        (sup, "/api/retention/holds", "view.holds", None, None),
        (admin, "/api/users", "view.users", None, sup.username),
        (admin, f"/api/users/{sup.username}/tokens", "view.tokens", f"user:{sup.username}",
         None),
    ]
    for client, url, action, target, item in cases:
        before = len(looks(api_app))
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.text)
        new = looks(api_app)[before:]
        assert [e.action for e in new] == [action], url
        (event,) = new
        assert event.username == client.username and event.credential, url
        assert event.at is not None and event.target == target, url
        if item is not None:
            assert item in details(event)["items"], (url, event.details)
    (entries,) = [e for e in looks(api_app) if e.action == "view.hotlist.entries"]
    assert details(entries)["items"][0]["plate"] == "SECR333"
    (opened,) = [e for e in looks(api_app) if e.action == "view.hit"]
    assert details(opened)["read_id"] == w.read_id


def test_a_refused_look_is_not_recorded_as_seen(
    world: World, api_app: Any, api_client: Any
) -> None:
    officer = api_client("officer", cameras=["cam-b"])  # another camera: sees nothing here
    before = len(looks(api_app))
    assert officer.get(f"/api/hits/{world.hit_id}").status_code == 404
    assert officer.get(world.media[0]).status_code == 404
    assert len(looks(api_app)) == before
    assert officer.get("/api/hits").json()["items"] == []
    (listing,) = looks(api_app)[before:]
    assert details(listing)["items"] == [] and listing.username == officer.username
