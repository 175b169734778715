"""A camera worker's footprint with the shared detector: it carries decode, motion gating and
tracking, not the models' runtime, the web layer or the database layer — each of those is tens
of MB resident in every camera process (issue 16: at most 80 MB per additional camera)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cameras.detector_host import DetectorHost
from rtcc.config import LprSettings
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import CameraRuns

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ScriptedFactory((Reading(1.0, 3.0, "ABC123"),))
# Top-level packages a camera worker must not import (or map: the compiled ones).
FORBIDDEN = (
    "onnxruntime",
    "fast_alpr",
    "fast_plate_ocr",
    "open_image_models",
    "fastapi",
    "starlette",
    "uvicorn",
    "web",
    "sqlalchemy",
    "psycopg",
)
FORBIDDEN_RTCC = ("rtcc.cli", "rtcc.models", "rtcc.db", "rtcc.runtime")  # and their submodules

# What the spawned worker does before its camera's first frame: unpickle its target and spec
# (the target is ``cameras.supervisor._child``), build the recognizer from the spec and the
# read pipeline around it. Then the modules it holds.
CHILD = """
import pickle, sys
from cameras.supervisor import _child
from cameras.worker import recognizer_factory
from lpr.pipeline import ReadPipeline
spec = pickle.load(sys.stdin.buffer)
ReadPipeline(recognizer_factory(spec.recognizer)(spec.lpr), spec.lpr)
print("\\n".join(sorted(sys.modules)))
"""

# A parent like the ``rtcc`` console script: its module level imports the whole CLI. It runs a
# real camera worker with the shared detector client (the host serving scripted reads) and
# prints the compiled libraries the worker mapped once it has analysed frames.
PARENT = """
import json, os, sys
from pathlib import Path

from rtcc.cli.main import main  # what the rtcc console script imports

from cameras.detector_host import DetectorHost
from rtcc.config import LprSettings
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import CameraRuns, state_is

if __name__ == "__main__":
    clip, data = sys.argv[1:]
    host = DetectorHost(LprSettings(), recognizer=ScriptedFactory((Reading(1.0, 3.0, "A1"),)))
    host.start()
    camera = {"id": "east", "url": clip, "lpr": True, "loop": True, "realtime": True}
    try:
        with CameraRuns(Path(data)) as runs:
            sup, got = runs.start([camera], recognizer=host.client(), lpr={"detector": "shared"})
            got.wait_for(lambda m: state_is("east", "online")(m) and m.analysed_frames > 0,
                         60, "frames analysed through the shared detector")
            pid = sup._slots["east"].process.pid
            with open(f"/proc/{pid}/maps") as maps:
                libs = sorted({ln.split()[-1] for ln in maps if ".so" in ln})
            with open(f"/proc/{pid}/environ", "rb") as environ:
                env = [v.decode() for v in environ.read().split(b"\\0") if b"MALLOC" in v]
            env.append(f"parent: {os.environ.get('MALLOC_ARENA_MAX')}")
            print(json.dumps({"libs": libs, "env": env}))
    finally:
        host.stop()
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    path = tmp_path_factory.mktemp("clip") / "one-pass.mp4"
    return write_clip(path, seconds=8, passes=[(1.0, 3.0)])


@pytest.fixture
def host() -> Iterator[DetectorHost]:
    started = DetectorHost(LprSettings(), recognizer=SCRIPT)
    yield started
    started.stop()


def _env() -> dict[str, str]:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("MALLOC_ARENA_MAX", None)  # the operator's value would be kept
    return env


def _forbidden(modules: list[str]) -> list[str]:
    return sorted(
        m
        for m in modules
        if m.split(".")[0] in FORBIDDEN
        or any(m == p or m.startswith(f"{p}.") for p in FORBIDDEN_RTCC)
    )


def test_a_shared_detector_worker_imports_no_models_web_or_database(
    tmp_path: Path, clip: Clip, host: DetectorHost
) -> None:
    with CameraRuns(tmp_path / "data") as runs:
        spec = runs.specs(
            [{"id": "east", "url": str(clip.path), "lpr": True}],
            recognizer=host.client(),
            lpr={"detector": "shared"},
        )[0]
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=pickle.dumps(spec),
        capture_output=True,
        cwd=ROOT,
        env=_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    modules = done.stdout.decode().split()
    assert "cameras.worker" in modules and "av" in modules and "cv2" in modules
    assert _forbidden(modules) == []


def test_a_worker_started_from_the_console_script_does_not_rerun_it(
    tmp_path: Path, clip: Clip
) -> None:
    """A spawned child re-runs the parent's main script unless told otherwise; the ``rtcc``
    script imports the CLI (SQLAlchemy and every command): the supervisor keeps it out."""
    parent = tmp_path / "console.py"
    parent.write_text(PARENT)
    done = subprocess.run(
        [sys.executable, str(parent), str(clip.path), str(tmp_path / "data")],
        capture_output=True,
        cwd=ROOT,
        env=_env(),
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    worker = json.loads(done.stdout.decode().splitlines()[-1])
    libs = worker["libs"]
    assert any("/av/" in lib for lib in libs), libs  # it decoded
    assert [lib for lib in libs if any(f"/{name}/" in lib for name in FORBIDDEN)] == []
    # two malloc arenas in the camera process, the parent's environment as it was
    assert worker["env"] == ["MALLOC_ARENA_MAX=2", "parent: None"]
