"""Camera connection test: ``cameras.probe`` on a clip the test writes, a missing file and a
refused port; ``POST /api/admin/cameras/test`` and ``/{id}/test`` for admins only, audited."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cameras.probe import probe
from rtcc.clock import SystemClock
from rtcc.models import AuditEvent
from tests.support.clips import HEIGHT, WIDTH, write_clip


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nobody listens


def test_probe_reads_a_clip_and_says_why_not(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", seconds=1, passes=[], fps=10)
    ok = probe(str(clip.path), clock=SystemClock())
    assert (ok.ok, ok.state, ok.codec, ok.width, ok.height, ok.fps) == (
        True, "online", "h264", WIDTH, HEIGHT, 10.0)
    missing = probe(str(tmp_path / "none.mp4"), clock=SystemClock())
    assert (missing.ok, missing.state) == (False, "error") and "not found" in missing.message
    port = _closed_port()
    refused = probe(f"rtsp://user:secret@127.0.0.1:{port}/s", clock=SystemClock(), timeout_s=3)
    assert (refused.ok, refused.state) == (False, "offline")
    assert "secret" not in refused.message and "***@" in refused.message
    text = tmp_path / "notes.mp4"
    text.write_text("not a video", encoding="utf-8")
    assert probe(str(text), clock=SystemClock()).state == "error"


def test_admins_test_a_url_and_a_saved_camera(api_client: Any, api_app: Any,
                                              tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", seconds=1, passes=[], fps=10)
    admin = api_client("admin")
    resp = admin.post("/api/admin/cameras/test", json={"url": str(clip.path)})
    assert resp.status_code == 200, resp.text
    assert resp.json()["ok"] is True and resp.json()["width"] == WIDTH
    assert admin.post("/api/admin/cameras", json={"id": "gate", "url": str(clip.path)}
                      ).status_code == 201
    saved = admin.post("/api/admin/cameras/gate/test").json()
    assert saved["ok"] is True and saved["codec"] == "h264"
    assert admin.post("/api/admin/cameras/nope/test").status_code == 404
    bad = admin.post("/api/admin/cameras/test", json={"url": str(clip.path), "timeout_s": 99})
    assert bad.status_code == 422 and "timeout_s" in bad.text
    for role in ("supervisor", "auditor", "officer"):
        assert api_client(role).post("/api/admin/cameras/test",
                                     json={"url": str(clip.path)}).status_code == 403
    with api_app.state.services.sessions() as s:
        tests = list(s.scalars(select(AuditEvent.target).where(AuditEvent.action == "camera.test")))
    assert tests == [str(clip.path), "gate"]
