"""The world of ``tests/web/test_visibility.py``: two cameras, three hotlists (one restricted),
five reads that hit them coming in through the real ingest, media, live frames, segments, a
gunshot alert the cameras cover, and one API token per user of the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import select

from cameras.media import live_frame_path, read_media_paths
from cameras.messages import ReadMessage, SegmentMessage, StatusMessage
from rtcc.audit import SYSTEM
from rtcc.auth import tokens, users
from rtcc.db import transaction
from rtcc.models import Camera, GunshotAlert, GunshotBookmark, Hit, User
from rtcc.plates import PlateReadRecord
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from rtcc.vocab import ReadStatus

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
CAMERAS = ("cam-a", "cam-b")
LISTS = {"open": False, "other": False, "secret": True}  # name -> restricted
READS = {  # key -> (camera, plate, list it hits)
    "a-open": ("cam-a", "OPEN111", "open"),
    "a-other": ("cam-a", "OTHR222", "other"),
    "a-secret": ("cam-a", "SECR333", "secret"),
    "b-open": ("cam-b", "OPEN111", "open"),
    "b-secret": ("cam-b", "SECR333", "secret"),
}
ALL_CAMS, UNRESTRICTED, ALL_LISTS = set(CAMERAS), {"open", "other"}, set(LISTS)
PURPOSE = {"reason": "visibility table test", "case_number": "VIS-1"}
SPOT = (51.5, -0.12)  # both cameras stand here; so does the gunshot alert
GUNSHOT = "/api/gunshots/sst/G-1"


@dataclass(frozen=True)
class Who:
    roles: tuple[str, ...]
    sees_cameras: set[str]
    sees_lists: set[str]
    cameras: list[str] | None = None
    lists: list[str] | None = None  # hotlist names assigned


@dataclass
class World:
    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    lists: dict[str, int] = field(default_factory=dict)  # name -> id
    reads: dict[str, int] = field(default_factory=dict)  # key -> read id
    hits: dict[str, int] = field(default_factory=dict)  # read key -> hit id
    media: dict[str, list[str]] = field(default_factory=dict)  # read key -> urls
    segments: dict[str, int] = field(default_factory=dict)  # camera -> segment id
    window: str = ""  # since=...&until=... around the reads
    now: str = ""  # when the reads were made (ISO 8601)

    def client(self, name: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20,
                            headers={"Authorization": f"Bearer {self.tokens[name]}"})

    def visible_reads(self, who: Who) -> set[int]:
        return {self.reads[k] for k, (cam, _, _) in READS.items() if cam in who.sees_cameras}

    def visible_hits(self, who: Who) -> set[int]:
        return {self.hits[k] for k, (cam, _, hl) in READS.items()
                if cam in who.sees_cameras and hl in who.sees_lists}


def add_user(services: Services, name: str, who: Who, lists: dict[str, int]) -> str:
    now = services.clock.now()
    with transaction(services.sessions) as s:
        users.create_user(
            s, username=name, roles=[r for r in who.roles if r != "ghost"], password=None,
            now=now, actor=SYSTEM, min_password_length=12, cameras=who.cameras,
            hotlists=None if who.lists is None else [lists[n] for n in who.lists],
        )
        s.flush()
        if "ghost" in who.roles:  # accounts are validated; a stale role comes from the database
            user = s.scalars(select(User).where(User.username == name)).one()
            user.roles = list(who.roles)
        _, secret = tokens.issue(s, username=name, now=now, actor=SYSTEM, name="t")
    return secret


def setup(services: Services, world: World, people: dict[str, Who]) -> None:
    """Cameras, files, lists with entries (through the API), and every user with a token."""
    now, data = services.clock.now(), services.settings.data_dir
    hour, world.now = timedelta(hours=1), now.isoformat()
    world.window = str(httpx.QueryParams(since=(now - hour).isoformat(),
                                         until=(now + hour).isoformat()))
    with transaction(services.sessions) as s:
        for cam in CAMERAS:
            s.add(Camera(id=cam, name=cam, created_at=now, updated_at=now, reconnects=0,
                         restarts=0, lat=SPOT[0], lon=SPOT[1]))
        s.add(GunshotAlert(source="sst", alert_id="G-1", version=1, type="gunfire", lat=SPOT[0],
                           lon=SPOT[1], detected_at=now, received_at=now, payload={}))
        for cam in CAMERAS:
            s.add(GunshotBookmark(source="sst", alert_id="G-1", camera_id=cam, distance_m=1.0,
                                  start_at=now - timedelta(minutes=2), end_at=now,
                                  created_at=now))
    for cam in CAMERAS:
        live_frame_path(data, cam).parent.mkdir(parents=True, exist_ok=True)
        live_frame_path(data, cam).write_bytes(JPEG)
    stray = data / "media" / "stray" / "cam-a.jpg"  # a file of no known camera
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(JPEG)
    world.tokens["setup"] = add_user(services, "setup", Who(("supervisor",), set(), set()), {})
    with world.client("setup") as sup:
        for name, restricted in LISTS.items():
            resp = sup.post("/api/hotlists", json={"name": name, "restricted": restricted})
            assert resp.status_code == 201, resp.text
            world.lists[name] = resp.json()["id"]
        for plate, hl in {(plate, hl) for _, plate, hl in READS.values()}:
            entry = {"plate": plate, **PURPOSE}  # a manual entry states why and for which case
            resp = sup.post(f"/api/hotlists/{world.lists[hl]}/entries", json=entry)
            assert resp.status_code == 201, resp.text
    for name, who in people.items():
        world.tokens[name] = add_user(services, name, who, world.lists)


def ingest(services: Services, world: World) -> None:
    """What camera workers would send: status, reads (which hit), a segment each; then a
    supervisor's note on every hit (``hit_updated``)."""
    ingest, now, data = Ingestor(services), services.clock.now(), services.settings.data_dir
    for cam in CAMERAS:
        ingest.handle(StatusMessage(cam, "online", now, input_fps=5.0))
        rel = f"video/{cam}/seg.mp4"
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_bytes(b"\x00\x00\x00\x18ftypmp42")
        ingest.handle(SegmentMessage(cam, now - timedelta(minutes=1), now, rel, 12))
    for key, (cam, plate, _) in READS.items():
        snap, crop = read_media_paths(cam, key, now)
        for rel in (snap, crop):
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            (data / rel).write_bytes(JPEG)
        record = PlateReadRecord(
            track_key=key, status=ReadStatus.FINAL, plate=plate, confidence=0.97,
            char_confidences=(0.97,) * len(plate),
            char_alternatives=tuple(((ch, 0.97),) for ch in plate), alternatives=(),
            region=None, format_ok=True, frames=3, first_seen=now, last_seen=now,
            box=(1, 2, 3, 4),
        )
        ingest.handle(ReadMessage(cam, record, snap, crop))
    with services.sessions() as s:
        for key in READS:
            hit = s.scalars(select(Hit).where(Hit.plate == READS[key][1],
                                              Hit.camera_id == READS[key][0])).one()
            world.hits[key], world.reads[key] = hit.id, int(hit.read_id or 0)
            world.media[key] = ["/media/" + p.removeprefix("media/")
                                for p in read_media_paths(READS[key][0], key, now)]
    with world.client("setup") as sup:
        for hit_id in world.hits.values():
            assert sup.post(f"/api/hits/{hit_id}/notes", json={"text": "seen"}).status_code == 200
        for cam in CAMERAS:
            world.segments[cam] = sup.get(f"/api/cameras/{cam}/segments").json()[0]["id"]


