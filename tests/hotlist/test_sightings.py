"""Write-once hit evidence (sightings appended, never replacing the first read) and alerting
that follows the car, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from cameras.media import read_media_paths
from cameras.messages import ReadMessage
from hotlist import hits as workflow
from retention import candidates
from retention.executor import policy_from_settings
from retention.files import PathIndex
from rtcc.audit import Actor
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.models import Hit, HitSighting, Hotlist, HotlistEntry, PlateRead
from rtcc.runtime.hotlists import entry_added
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from rtcc.schemas.hits import HitDetailOut
from rtcc.vocab import ReadStatus
from tests.support.hotlists import add_read, import_csv, read_message

OFFICER = Actor(username="o.smith", roles=("officer",))


def message(services: Services, plate: str, track: str, status: ReadStatus) -> ReadMessage:
    """A worker's message with the media paths the worker gives that status."""
    msg = read_message(services, plate, track=track)
    record = dataclasses.replace(msg.record, status=status)
    snap, crop = read_media_paths(msg.camera_id, track, record.first_seen, str(status))
    return ReadMessage(msg.camera_id, record, snap, crop)


def one_hit(services: Services) -> Hit:
    with services.sessions() as s:
        (hit,) = s.scalars(select(Hit))
        return hit


def detail(services: Services, hit_id: int) -> HitDetailOut:
    with services.sessions() as s:
        return HitDetailOut.load(s, s.get_one(Hit, hit_id))


def hit_kinds(events: list[Any]) -> list[tuple[str, bool]]:
    return [(e.type, e.alert) for e in events if e.type in ("hit", "hit_updated")]


def test_later_passes_are_sightings_and_the_first_read_stays(
    services: Services, clock: FakeClock, bus_events: Any
) -> None:
    import_csv(services, "stolen", "plate,reason,case_number\nABC1234,stolen,K-1\n")
    ingest = Ingestor(services)
    ingest.handle(message(services, "ABC1234", "p1", ReadStatus.PREVIEW))
    first = detail(services, one_hit(services).id)
    ingest.handle(message(services, "ABC1234", "p1", ReadStatus.FINAL))  # same pass, final
    for track in ("p2", "p3"):
        clock.advance(30)
        ingest.handle(message(services, "ABC1234", track, ReadStatus.FINAL))
    after = detail(services, first.id)
    assert after.read is not None and first.read is not None
    assert after.read.id == first.read.id == after.read_id
    assert after.snapshot_url == after.read.snapshot_url == first.snapshot_url
    assert after.snapshot_url is not None and after.snapshot_url.endswith("p1-preview-snap.jpg")
    assert after.crop_url is not None and after.crop_url.endswith("p1-preview-crop.jpg")
    assert [s.snapshot_url.rsplit("/", 1)[1] for s in after.sightings if s.snapshot_url] == [
        "p2-snap.jpg", "p3-snap.jpg"
    ]
    assert after.occurrences == 3 and after.last_seen_at > first.last_seen_at
    assert after.case_number == "K-1"
    with services.sessions() as s:  # the preview's files are still named by the read
        read = s.get_one(PlateRead, first.read.id)
        assert first.snapshot_url is not None and read.preview_snapshot_path is not None
        assert read.preview_snapshot_path == "media/" + first.snapshot_url.removeprefix("/media/")
        assert read.snapshot_path != read.preview_snapshot_path
        assert read.preview_snapshot_path in PathIndex(s)
    assert hit_kinds(bus_events()) == [("hit", True)] + [("hit_updated", False)] * 3


def test_editing_or_deleting_the_entry_never_changes_the_hit(services: Services) -> None:
    import_csv(services, "stolen", "plate,state,reason,case_number,expires_at\n"
               "ABC1234,CA,stolen,K-9,2030-01-01T00:00:00Z\n")
    Ingestor(services).handle(read_message(services, "ABC1234", region="CA"))
    hit_id = one_hit(services).id
    with transaction(services.sessions) as s:
        s.execute(update(HotlistEntry).values(case_number="EDITED", reason="edited"))
    kept = detail(services, hit_id)
    assert (kept.case_number, kept.reason, kept.entry_state) == ("K-9", "stolen", "CA")
    assert kept.entry_expires_at is not None and kept.entry_expires_at.year == 2030
    with transaction(services.sessions) as s:
        s.execute(delete(HotlistEntry))
    gone = detail(services, hit_id)
    assert gone.entry is None and (gone.case_number, gone.hotlist) == ("K-9", "stolen")


def test_a_live_pass_alerts_when_the_plates_hit_is_only_historical(
    services: Services, clock: FakeClock, bus_events: Any
) -> None:
    import_csv(services, "stolen", "plate\nXYZ0001\n")  # the list exists before the read
    add_read(services, "ABC1234", at=clock.now() - timedelta(seconds=20))
    with transaction(services.sessions) as s:
        hotlist = s.scalar(select(Hotlist))
        assert hotlist is not None
        entry = HotlistEntry(hotlist_id=hotlist.id, plate="ABC1234", added_at=clock.now())
        s.add(entry)
        s.flush()
        entry_id = entry.id
    bus_events()
    (historical,) = entry_added(services, entry_id=entry_id)
    assert hit_kinds(bus_events()) == [("hit", False)]  # listed and marked, no alert
    Ingestor(services).handle(read_message(services, "ABC1234"))  # the car passes again, live
    assert hit_kinds(bus_events()) == [("hit", True)]
    with services.sessions() as s:
        flags = [h.historical for h in s.scalars(select(Hit).order_by(Hit.id))]
    assert flags == [True, False] and historical.historical


def test_historical_hits_alert_on_lists_that_ask(services: Services, bus_events: Any) -> None:
    add_read(services, "ABC1234")
    import_csv(services, "watch", "plate\nABC1234\n", list_fields={"alert_on_historical": True})
    assert hit_kinds(bus_events()) == [("hit", True)]


def test_a_handled_hit_alerts_again_after_the_quiet_period(
    services: Services, clock: FakeClock, bus_events: Any
) -> None:
    quiet = services.settings.matching.realert_after_s
    import_csv(services, "stolen", "plate\nABC1234\n")
    ingest = Ingestor(services)
    ingest.handle(read_message(services, "ABC1234"))
    with transaction(services.sessions) as s:
        hit = s.get_one(Hit, one_hit(services).id)
        workflow.transition(s, hit=hit, action="acknowledge", actor=OFFICER, now=clock.now())
    bus_events()
    clock.advance(quiet / 2)
    ingest.handle(read_message(services, "ABC1234"))  # within the quiet period: folds
    assert hit_kinds(bus_events()) == [("hit_updated", False)]
    clock.advance(quiet / 2 + 1)
    ingest.handle(read_message(services, "ABC1234"))  # quiet period over: a new alert
    assert hit_kinds(bus_events()) == [("hit", True)]
    with services.sessions() as s:
        assert s.scalar(select(Hit.occurrences).order_by(Hit.id).limit(1)) == 2
        assert len(list(s.scalars(select(HitSighting)))) == 1


def test_retention_keeps_every_read_of_a_hit_while_the_hit_is_kept(
    services: Services, clock: FakeClock
) -> None:
    import_csv(services, "stolen", "plate\nABC1234\n")
    ingest = Ingestor(services)
    ingest.handle(read_message(services, "ABC1234", track="first"))
    clock.advance(60)
    ingest.handle(read_message(services, "ABC1234", track="second"))  # a sighting
    policy = policy_from_settings(services.settings.retention)
    long_ago = clock.now() - timedelta(days=policy.hit_reads + 5)

    def expired_reads() -> set[str]:
        cut = candidates.Cutoffs.of(policy, clock.now())
        with services.sessions() as s:
            found = candidates.page(s, "plate_reads", cut, after_id=0, limit=100)
            keys = {r.id: r.track_key for r in s.scalars(select(PlateRead))}
        return {keys[c.id] for c in found}

    with transaction(services.sessions) as s:  # both reads are old, the hit was seen lately
        s.execute(update(PlateRead).values(observed_at=long_ago, last_seen_at=long_ago))
    assert expired_reads() == set()
    with transaction(services.sessions) as s:  # the hit itself is past its period
        s.execute(update(Hit).values(last_seen_at=long_ago))
    assert expired_reads() == {"first", "second"}
    with services.sessions() as s:
        found = candidates.page(s, "plate_reads", candidates.Cutoffs.of(policy, clock.now()),
                                after_id=0, limit=100)
    assert all(c.hit_ids for c in found)  # each still follows the hit-read class


def test_an_evidence_export_of_the_hit_carries_the_images_it_was_raised_on(
    services: Services, clock: FakeClock
) -> None:
    from rtcc.evidence.collect import collect, resolve_hit

    import_csv(services, "stolen", "plate\nABC1234\n")
    ingest = Ingestor(services)
    for status in (ReadStatus.PREVIEW, ReadStatus.FINAL):
        msg = message(services, "ABC1234", "p1", status)
        for rel in (msg.snapshot_path, msg.crop_path):
            assert rel is not None
            path = services.settings.data_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"{status} {rel}".encode())
        ingest.handle(msg)
    hit = one_hit(services)
    with services.sessions() as s:
        scope = resolve_hit(s, hit.id, pre=timedelta(seconds=5), post=timedelta(seconds=5))
        got = collect(s, scope, data_dir=services.settings.data_dir, before=clock.now())
    names = dict(got.images)
    assert hit.crop_path is not None and hit.crop_path.endswith("p1-preview-crop.jpg")
    assert names[hit.crop_path] == f"stills/hit-{hit.id}-crop.jpg"
    (hit_json,) = got.hits
    assert hit_json["crop_file"] == f"stills/hit-{hit.id}-crop.jpg"
    assert any(rel.endswith("p1-crop.jpg") for rel in names)  # the read's final images too


def test_the_detail_lists_the_latest_sightings_and_counts_them_all(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rtcc.schemas import hits as schema

    monkeypatch.setattr(schema, "MAX_SIGHTINGS", 2)
    import_csv(services, "stolen", "plate\nABC1234\n")
    ingest = Ingestor(services)
    for track in ("t0", "t1", "t2", "t3"):
        ingest.handle(read_message(services, "ABC1234", track=track))
        clock.advance(30)
    shown = detail(services, one_hit(services).id)
    with services.sessions() as s:
        keys = {r.id: r.track_key for r in s.scalars(select(PlateRead))}
    assert [keys[x.read_id] for x in shown.sightings if x.read_id] == ["t2", "t3"]
    assert shown.occurrences == 4
