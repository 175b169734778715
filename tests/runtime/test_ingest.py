"""One plate-read record from the tracker to the database and the matcher: a real worker process
(scripted recognizer, no models) feeds the real ingest on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cameras.messages import StatusMessage
from hotlist.importer import parse_text
from hotlist.matcher import Match, Matcher
from rtcc.audit import SYSTEM
from rtcc.db import transaction
from rtcc.models import Camera, Hit, PlateRead
from rtcc.plates import CharAlternatives, PlateReadRecord, alternatives_from_json
from rtcc.runtime.hotlists import import_hotlist
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory, sure
from tests.support.workers import CameraRuns

LATTICE = sure("AB") + ((("C", 0.7), ("G", 0.25)),) + sure("123")
SCRIPT = ScriptedFactory((Reading(1.0, 3.0, "ABC123", LATTICE),))


class RecordingMatcher(Matcher):
    """The real matcher, remembering what each read handed it."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[PlateReadRecord] = []
        self.lattices: list[CharAlternatives | None] = []

    def match_read(self, read: PlateReadRecord, *, now: datetime) -> list[Match]:
        self.reads.append(read)
        return super().match_read(read, now=now)

    def match(self, plate: str, **kw: Any) -> list[Match]:
        self.lattices.append(kw.get("alternatives"))
        return super().match(plate, **kw)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return write_clip(tmp_path_factory.mktemp("clip") / "one-pass.mp4", seconds=5,
                      passes=[(1.0, 3.0)])


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def test_tracker_alternatives_reach_the_row_and_the_matcher(
    services: Services, clip: Clip, runs: CameraRuns
) -> None:
    matcher = RecordingMatcher()
    svc = dataclasses.replace(services, matcher=matcher)
    now = svc.clock.now()
    with transaction(svc.sessions) as session:
        session.add(Camera(id="gate", name="gate", created_at=now, updated_at=now))
    import_hotlist(svc, name="stolen", actor=SYSTEM,
                   imported=parse_text("plate,reason\nABC123,stolen\n", format="csv"))
    ingest = Ingestor(svc)
    _, got = runs.start([{"id": "gate", "url": str(clip.path), "loop": False,
                          "realtime": False, "detect_fps": 5}], recognizer=SCRIPT)
    done = got.wait_for(lambda m: isinstance(m, StatusMessage) and m.state == "offline", 30,
                        "end of file")
    got.pump(0.3)
    for msg in got.messages:
        ingest.handle(msg)
    assert done.message == "end of file"

    with svc.sessions() as session:
        [row] = session.scalars(select(PlateRead)).all()  # the preview became the final
        [hit] = session.scalars(select(Hit)).all()
        cam = session.get(Camera, "gate")
    assert row.status == "final" and row.plate == "ABC123" and hit.read_id == row.id
    assert cam is not None and cam.state == "offline"
    stored = alternatives_from_json(row.char_alternatives)
    assert [ch for ch, _ in stored[2]] == ["C", "G"]
    assert [p for _, p in stored[2]] == pytest.approx([0.7, 0.25], abs=1e-3)
    assert row.char_confidences is not None and row.char_confidences[2] == pytest.approx(0.7)
    # every read (preview and final) went to the matcher whole, lattice included
    assert [r.status for r in matcher.reads] == ["preview", "final"]
    assert all(r.track_key == row.track_key for r in matcher.reads)
    assert matcher.lattices == [r.char_alternatives for r in matcher.reads]
    assert stored == matcher.reads[-1].char_alternatives


def test_every_region_name_the_ocr_gives_is_stored(services: Services) -> None:
    """The OCR names countries in full ("Bosnia and Herzegovina", 22 characters): a read must
    never be refused for its region (PostgreSQL checks the column length)."""
    from tests.support.reads import CAMERAS, read

    now = services.clock.now()
    with transaction(services.sessions) as session:
        for cam in CAMERAS:
            session.add(Camera(id=cam, name=cam, created_at=now, updated_at=now))
    msg = read(1)
    msg = dataclasses.replace(msg, record=dataclasses.replace(
        msg.record, region="Bosnia and Herzegovina"))
    Ingestor(services).handle(msg)
    with services.sessions() as session:
        [row] = session.scalars(select(PlateRead)).all()
    assert row.region == "Bosnia and Herzegovina"
