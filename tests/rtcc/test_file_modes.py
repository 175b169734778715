"""Personal data on disk is readable only by the service user; a bad data directory is one
clear line and exit 2 (issue 14)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcc.cli.main import main
from rtcc.runtime.services import build_services


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


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_data_dir_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "ro"
    data.mkdir()
    data.chmod(0o500)
    config = tmp_path / "rtcc.yaml"
    config.write_text(f"environment: test\ndata_dir: {data}\n")
    try:
        assert main(["users", "list", "--config", str(config)]) == 2
    finally:
        data.chmod(0o700)
    assert "data_dir: cannot create or write" in capsys.readouterr().err


def test_binary_config_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rtcc.yaml"
    config.write_bytes(bytes(range(256)) * 4)
    assert main(["users", "list", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "UTF-8" in err[0], err
