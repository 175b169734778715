"""Personal data on disk is readable only by the service user; a bad data directory is one
clear line and exit 2 (issue 14)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcc.cli.main import main
from rtcc.runtime.services import build_services
from tests.support import tinyfs
from tests.support.paths import ROOT

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A permissive umask (as on many servers) that the service must not rely on."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_data_dir_media_video_and_database_are_private(
    make_settings: object, tmp_path: Path, loose_umask: None
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "media").mkdir(mode=0o755)  # an existing install made with a loose umask
    settings = make_settings(data_dir=data)  # type: ignore[operator]
    services = build_services(settings)
    try:
        with services.engine.connect():
            pass
    finally:
        services.engine.dispose()
    assert _mode(data) == 0o700
    for name in ("media", "video", "live"):
        assert _mode(data / name) == 0o700, name
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    assert db.is_file() and _mode(db) == 0o600


def test_the_cli_creates_files_private(tmp_path: Path, loose_umask: None) -> None:
    config = tmp_path / "rtcc.yaml"
    config.write_text(f"environment: test\ndata_dir: {tmp_path / 'd'}\n")
    try:
        assert main(["users", "list", "--config", str(config)]) == 0
        probe = tmp_path / "written-later.jpg"
        probe.write_bytes(b"x")  # what a snapshot write gets from the process umask
        assert _mode(probe) == 0o600
        assert _mode(tmp_path / "d" / "rtcc.db") == 0o600
    finally:
        os.umask(0o022)


def test_unwritable_data_dir_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    config = tmp_path / "rtcc.yaml"
    config.write_text(f"environment: test\ndata_dir: {blocker / 'data'}\n")
    assert main(["users", "list", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "data_dir: cannot create or write" in err[0], err
    assert "Traceback" not in "".join(err)


@pytest.fixture
def reachable_tmp() -> Iterator[Path]:
    """A folder outside pytest's private (0700) tmp folders, so another user can reach it."""
    path = Path(tempfile.mkdtemp(prefix="rtcc-datadir-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def _cli_as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a process of its own, as the unprivileged user ``nobody`` (root would
    write into any folder, so the refusal is only seen by a real service user)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give the folder to one user and run the CLI as another")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    return subprocess.run(
        [*NOBODY, sys.executable, "-m", "rtcc.cli.main", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent", "PYTHONDONTWRITEBYTECODE": "1"},
    )


def test_data_dir_the_service_user_cannot_write_is_one_line_and_exit_2(
    reachable_tmp: Path,
) -> None:
    data = reachable_tmp / "data"
    data.mkdir(mode=0o755)  # root's: the service user may look, not write (nor chmod it)
    config = reachable_tmp / "rtcc.yaml"
    config.write_text(f"environment: test\ndata_dir: {data}\n")
    config.chmod(0o644)
    done = _cli_as_nobody("users", "list", "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"rtcc users: data_dir: cannot create or write {data}: Operation not permitted"
    ]
    assert done.stdout == "" and list(data.iterdir()) == []  # nothing half-made


def test_data_dir_on_a_read_only_file_system_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "ro"
    data.mkdir()
    config = tmp_path / "rtcc.yaml"
    config.write_text(f"environment: test\ndata_dir: {data}\n")
    with tinyfs.read_only(data):  # read-only for root as well
        assert main(["users", "list", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"rtcc users: data_dir: cannot create or write {data}: Read-only file system"]


def test_binary_config_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rtcc.yaml"
    config.write_bytes(bytes(range(256)) * 4)
    assert main(["users", "list", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "UTF-8" in err[0], err
