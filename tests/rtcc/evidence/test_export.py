"""Export a window around a real hit from recorded segments; verify; tamper; hold; audit."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from retention.executor import Executor, RunOptions
from rtcc.audit import Actor, check_chain
from rtcc.clock import FakeClock
from rtcc.config import Settings
from rtcc.db import transaction
from rtcc.evidence import collect, service
from rtcc.evidence.service import ExportTooLargeError, WindowError
from rtcc.evidence.verify import verify
from rtcc.models import AuditEvent, EvidenceExport, LegalHold, VideoSegment
from rtcc.runtime.services import Services
from tests.support.evidence import FPS, T0, Recorded

DETECTIVE = Actor(username="dave", roles=("detective",), source="10.0.0.7")
PRE, POST = timedelta(seconds=3.35), timedelta(seconds=2.85)  # window 12:00:04.65-12:00:11.85


def fake(services: Services) -> FakeClock:
    assert isinstance(services.clock, FakeClock)
    return services.clock


def export_hit(services: Services, hit_id: int, *, reason: str = "robbery at 5th and Main",
               settings: Settings | None = None) -> EvidenceExport:
    cfg = settings or services.settings
    with transaction(services.sessions) as s:
        scope = collect.resolve_hit(s, hit_id, pre=PRE, post=POST)
        started = service.start(
            s, scope=scope, case_number="CASE-2026-0042", reason=reason,
            legal_authority="warrant 26-SW-118", actor=DETECTIVE, now=services.clock.now(),
            settings=cfg,
        )
    return service.build(started, sessions=services.sessions, settings=cfg,
                         clock=services.clock, actor=DETECTIVE)


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    return float(json.loads(out.stdout)["format"]["duration"])


def test_export_around_a_hit_is_exact_signed_and_verifies(
    services: Services, recorded: Recorded
) -> None:
    row = export_hit(services, recorded.hit_id)
    assert row.status == "done" and row.path and row.manifest_sha256
    root = services.settings.data_dir / row.path
    manifest = json.loads((root / "manifest.json").read_text())
    window = (PRE + POST + timedelta(seconds=1)).total_seconds()  # the hit lasts 1 s
    assert manifest["window"]["seconds"] == pytest.approx(window)
    clip = root / "video" / "cam1.mp4"
    if shutil.which("ffprobe"):
        assert abs(ffprobe_duration(clip) - window) <= 1 / FPS
    [video] = manifest["video"]
    assert video["gaps"] == [] and video["frames_in_window"] == round(window * FPS)
    assert video["segments"] == recorded.segments[:2]  # 12:00:00-06 and 06-12
    assert manifest["case_number"] == "CASE-2026-0042"
    assert manifest["requester"] == "dave" and manifest["reason"] == "robbery at 5th and Main"
    assert manifest["legal_authority"] == "warrant 26-SW-118"
    [cam] = manifest["cameras"]
    assert cam["id"] == "cam1" and cam["clock_offset_s"] is None
    assert cam["clock_offset"].startswith("unknown")
    assert manifest["counts"] == {"reads": 1, "hits": 1, "audit_events": 0, "stills": 2}
    hits = json.loads((root / "data" / "hits.json").read_text())
    assert hits[0]["disposition"] == "confirmed" and hits[0]["history"][0]["note"]
    listed = {f["path"] for f in manifest["files"]}
    assert {"video/cam1.mp4", f"stills/read-{recorded.read_id}-snapshot.jpg",
            "data/reads.json", "data/audit.json"} <= listed
    report = verify(root)
    assert report.ok, report.problems
    assert report.files_checked == len(listed) and report.custody_entries == 1


@pytest.mark.skipif(shutil.which("minisign") is None, reason="minisign is not installed")
def test_minisign_verifies_the_manifest(services: Services, recorded: Recorded) -> None:
    row = export_hit(services, recorded.hit_id)
    root = services.settings.data_dir / str(row.path)
    for extra in ([], ["-H"]):  # legacy-tolerant and prehash-only verification
        proc = subprocess.run(["minisign", "-V", *extra, "-m", "manifest.json", "-p", "key.pub"],
                              cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert f"export {row.id}" in proc.stdout
    (root / "manifest.json").write_text((root / "manifest.json").read_text().replace(
        "robbery", "burglary"))
    proc = subprocess.run(["minisign", "-Vm", "manifest.json", "-p", "key.pub"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode != 0


def test_tampering_is_named(services: Services, recorded: Recorded, tmp_path: Path) -> None:
    row = export_hit(services, recorded.hit_id)
    pristine = services.settings.data_dir / str(row.path)

    def tampered(name: str) -> Path:
        copy = tmp_path / name
        shutil.copytree(pristine, copy)
        return copy

    flipped = tampered("flip")
    clip = flipped / "video" / "cam1.mp4"
    data = bytearray(clip.read_bytes())
    data[len(data) // 2] ^= 0x01
    clip.write_bytes(bytes(data))
    assert [(p.path, p.kind) for p in verify(flipped).problems] == [("video/cam1.mp4", "changed")]

    removed = tampered("removed")
    still = f"stills/read-{recorded.read_id}-crop.jpg"
    (removed / still).unlink()
    assert [(p.path, p.kind) for p in verify(removed).problems] == [(still, "removed")]

    edited = tampered("edited")
    text = (edited / "manifest.json").read_text()
    (edited / "manifest.json").write_text(text.replace("CASE-2026-0042", "CASE-2026-0043"))
    problems = verify(edited).problems
    assert [(p.path, p.kind) for p in problems] == [("manifest.json", "signature")]

    added = tampered("added")
    (added / "stills" / "planted.jpg").write_bytes(b"\xff\xd8")
    assert [(p.path, p.kind) for p in verify(added).problems] == [("stills/planted.jpg", "added")]

    custody = tampered("custody")
    log = custody / "custody" / "log.jsonl"
    log.write_text(log.read_text().replace("dave", "mallory"))
    assert [(p.path, p.kind) for p in verify(custody).problems] == [
        ("custody/log.jsonl", "signature")]


def test_sources_are_held_and_survive_retention(services: Services, recorded: Recorded) -> None:
    row = export_hit(services, recorded.hit_id)
    with services.sessions() as s:
        holds = list(s.scalars(select(LegalHold).order_by(LegalHold.id)))
    assert {h.data_class for h in holds} == {"video", "plate_reads", "hits"}
    assert all(h.case_number == "CASE-2026-0042" for h in holds)
    assert sorted(h.id for h in holds) == sorted(row.hold_ids or [])
    fake(services).advance(days=40)  # everything is past the 30-day video period
    result = Executor(sessions=services.sessions, settings=services.settings.retention,
                      data_dir=services.settings.data_dir, clock=services.clock
                      ).run(RunOptions(force=True))
    assert result.status == "ok", result.errors
    assert result.deleted_rows["video"] == 2 and result.skipped_held["video"] == 2
    with services.sessions() as s:
        kept = list(s.scalars(select(VideoSegment).order_by(VideoSegment.start_at)))
    assert [k.id for k in kept] == recorded.segments[:2]
    for seg in kept:
        assert (services.settings.data_dir / seg.path).is_file()
    assert verify(services.settings.data_dir / str(row.path)).ok


def test_export_is_audited_and_reproducible(services: Services, recorded: Recorded) -> None:
    first = export_hit(services, recorded.hit_id)
    fake(services).advance(60)
    second = export_hit(services, recorded.hit_id)
    data = services.settings.data_dir

    def body(row: EvidenceExport) -> dict[str, object]:
        manifest = json.loads((data / str(row.path) / "manifest.json").read_text())
        created = manifest.pop("created")
        assert created["export_id"] == row.id and created["by"] == "dave"
        return manifest

    assert body(first) == body(second)
    assert first.manifest_sha256 != second.manifest_sha256  # the creation records differ
    with services.sessions() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.export")))
        assert check_chain(s).ok
    assert [(e.target, e.case_number, e.username, e.outcome) for e in events] == [
        (f"evidence:{first.id}", "CASE-2026-0042", "dave", "success"),
        (f"evidence:{second.id}", "CASE-2026-0042", "dave", "success"),
    ]
    assert events[0].details and events[0].details["manifest_sha256"] == first.manifest_sha256


def test_a_gap_in_the_recording_is_listed(services: Services, recorded: Recorded) -> None:
    with transaction(services.sessions) as s:  # the 12:00:06-12 segment is missing:
        seg = s.get(VideoSegment, recorded.segments[1])
        assert seg is not None
        (services.settings.data_dir / seg.path).unlink()
        s.delete(seg)
    row = export_hit(services, recorded.hit_id)
    manifest = json.loads((services.settings.data_dir / str(row.path) / "manifest.json")
                          .read_text())
    [video] = manifest["video"]  # a gap from 12:00:06 to the window's end
    assert [(g["start"], g["end"]) for g in video["gaps"]] == [
        ((T0 + timedelta(seconds=6)).isoformat(), (T0 + timedelta(seconds=11.85)).isoformat())]
    assert video["frames_in_window"] == 13  # 12:00:04.7, 04.8, ... 05.9


def test_bad_windows_are_refused_naming_the_window(
    services: Services, recorded: Recorded
) -> None:
    now = services.clock.now()

    def start(scope: collect.Scope, settings: Settings | None = None) -> None:
        with services.sessions() as s:
            service.start(s, scope=scope, case_number="C-1", reason="test", legal_authority=None,
                          actor=DETECTIVE, now=now, settings=settings or services.settings)

    empty = collect.Scope(("cam1",), T0 - timedelta(hours=2), T0 - timedelta(hours=1), "window")
    with pytest.raises(WindowError, match="window 2026-03-01T10:00:00.*no recording from camera"):
        start(empty)
    old = collect.Scope(("cam1",), T0 - timedelta(days=40), T0 - timedelta(days=39), "window")
    with pytest.raises(WindowError, match="window 2026-01-20.*outside video retention"):
        start(old)
    backwards = collect.Scope(("cam1",), T0 + timedelta(seconds=9), T0, "window")
    with pytest.raises(WindowError, match="end must be after start"):
        start(backwards)
    small = services.settings.model_copy(update={
        "evidence": services.settings.evidence.model_copy(update={"max_bytes": 10_000})})
    whole = collect.Scope(("cam1",), T0, T0 + timedelta(seconds=20), "window")
    with pytest.raises(ExportTooLargeError, match=r"about 0\.\d MB, over the limit of 0\.0 MB") \
            as err:
        start(whole, settings=small)
    assert err.value.status_code == 413 and int(str(err.value.details["bytes"])) > 10_000
    with services.sessions() as s:
        assert s.scalar(select(EvidenceExport.id)) is None
        assert s.scalar(select(LegalHold.id)) is None


def test_a_cancelled_export_leaves_nothing_behind(
    services: Services, recorded: Recorded
) -> None:
    with transaction(services.sessions) as s:
        scope = collect.resolve_hit(s, recorded.hit_id, pre=PRE, post=POST)
        started = service.start(s, scope=scope, case_number="C-9", reason="test",
                                legal_authority=None, actor=DETECTIVE,
                                now=services.clock.now(), settings=services.settings)
    seen: list[str] = []

    def cancel_during_video(fraction: float, stage: str) -> None:
        seen.append(stage)
        if stage.startswith("video"):
            with transaction(services.sessions) as s:
                service.request_cancel(s, export_id=started.export_id)

    row = service.build(started, sessions=services.sessions, settings=services.settings,
                        clock=services.clock, actor=DETECTIVE, on_progress=cancel_during_video)
    assert row.status == "cancelled" and seen == ["video cam1"]
    evidence = services.settings.data_dir / "evidence"
    assert sorted(p.name for p in evidence.iterdir()) == ["signing.key"]
    with services.sessions() as s:
        holds = list(s.scalars(select(LegalHold)))
        outcome = s.scalars(select(AuditEvent.outcome).where(
            AuditEvent.action == "evidence.export")).one()
    assert holds and all(h.released_at is not None for h in holds)
    assert outcome == "cancelled"


def test_a_gunshot_alert_exports_its_bookmarked_cameras(
    services: Services, recorded: Recorded
) -> None:
    from rtcc.models import GunshotAlert, GunshotBookmark

    with transaction(services.sessions) as s:
        alert = GunshotAlert(source="acoustic", alert_id="A-17", version=1, type="single_gunshot",
                             lat=40.7, lon=-74.0, detected_at=T0 + timedelta(seconds=10),
                             received_at=T0 + timedelta(seconds=11), payload={})
        s.add(alert)
        s.add(GunshotBookmark(source="acoustic", alert_id="A-17", camera_id="cam1",
                              distance_m=80.0, start_at=T0 + timedelta(seconds=7),
                              end_at=T0 + timedelta(seconds=13), created_at=T0))
        s.flush()
        scope = collect.resolve_gunshot(s, alert.id)
        assert (scope.cameras, scope.source_kind) == (("cam1",), "gunshot")
        started = service.start(s, scope=scope, case_number="CASE-SHOTS", reason="shots fired",
                                legal_authority=None, actor=DETECTIVE, now=services.clock.now(),
                                settings=services.settings)
    row = service.build(started, sessions=services.sessions, settings=services.settings,
                        clock=services.clock, actor=DETECTIVE)
    root = services.settings.data_dir / str(row.path)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["request"]["kind"] == "gunshot" and manifest["window"]["seconds"] == 6.0
    if shutil.which("ffprobe"):
        assert abs(ffprobe_duration(root / "video" / "cam1.mp4") - 6.0) <= 1 / FPS
    assert verify(root).ok


def test_an_export_interrupted_by_a_stop_is_undone_at_start(
    services: Services, recorded: Recorded
) -> None:
    from rtcc.cli.serve import first_start

    with transaction(services.sessions) as s:
        scope = collect.resolve_hit(s, recorded.hit_id, pre=PRE, post=POST)
        started = service.start(s, scope=scope, case_number="C-5", reason="test",
                                legal_authority=None, actor=DETECTIVE,
                                now=services.clock.now(), settings=services.settings)
    half = services.settings.data_dir / "evidence" / f".tmp-{started.export_id}-deadbeef"
    (half / "video").mkdir(parents=True)
    (half / "video" / "cam1.mp4").write_bytes(b"half a clip")
    first_start(services)  # what `rtcc serve` does before serving
    assert not half.exists()
    with services.sessions() as s:
        row = s.get(EvidenceExport, started.export_id)
        assert row is not None and row.status == "failed" and "interrupted" in str(row.error)
        assert all(h.released_at is not None for h in s.scalars(select(LegalHold)))
