"""Settings: YAML + RTCC_* environment, unknown keys and bad values named by path, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from rtcc.cli.main import main
from rtcc.config import load_settings
from rtcc.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rtcc.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
data_dir: data
lpr:
  model_dir: models
cameras:
  - id: gate-1
    url: clips/gate.mp4
    detect_fps: 4
    location: {lat: 40.7, lon: -74.0}
hotlists:
  - name: stolen
    file: lists/stolen.csv
"""


def runnable(root: Path, text: str = GOOD) -> Path:
    """GOOD plus the files it points to: a model bundle, the clip and the hotlist."""
    settings = load_settings(write(root, text), environ={})
    lpr = settings.lpr
    assert lpr.model_dir is not None
    det = lpr.model_dir / "open-image-models" / lpr.detector_model
    det.mkdir(parents=True)
    (det / "detector.onnx").write_bytes(b"onnx")
    for name in [lpr.ocr_model, *lpr.extra_ocr_models]:
        folder = lpr.model_dir / "fast-plate-ocr" / name
        folder.mkdir(parents=True)
        (folder / "ocr.onnx").write_bytes(b"onnx")
        (folder / "ocr_plate_config.yaml").write_text("max_plate_slots: 9\n")
    for rel in ("clips/gate.mp4", "lists/stolen.csv"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("plate\n")
    return root / "rtcc.yaml"


def test_good_file_resolves_relative_paths_against_the_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={})
    assert settings.data_dir == tmp_path / "data"
    assert settings.lpr.model_dir == tmp_path / "models"
    assert settings.cameras[0].url == str(tmp_path / "clips/gate.mp4")
    assert settings.cameras[0].name == "gate-1"
    assert settings.hotlists[0].file == tmp_path / "lists/stolen.csv"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("data/rtcc.db")


def test_environment_overrides_the_file_with_double_underscore_nesting(tmp_path: Path) -> None:
    env = {"RTCC_LPR__MODEL_DIR": "/opt/models", "RTCC_SERVER__PORT": "9000"}
    settings = load_settings(write(tmp_path, GOOD), environ=env)
    assert settings.lpr.model_dir == Path("/opt/models")
    assert settings.server.port == 9000
    assert settings.cameras[0].id == "gate-1"  # the rest of the file still applies


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("servr:\n  port: 1\n", "servr", "unknown key"),
        ("server:\n  port: 1\n  hots: x\n", "server.hots", "unknown key"),
        ("server:\n  port: eighty\n", "server.port", "integer"),
        ("cameras:\n  - id: a\n    name: A\n", "cameras.0.url", "Field required"),
        ("cameras:\n  - {id: a, url: x.mp4, detect_fps: -1}\n", "cameras.0.detect_fps", "greater"),
        ("cameras:\n  - {id: a, url: x}\n  - {id: a, url: y}\n", "cameras", "duplicate camera id"),
    ],
)
def test_bad_values_are_named_by_path(tmp_path: Path, text: str, field: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), environ={})
    assert f"{field}: " in err.value.message
    assert message in err.value.message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2"):
        load_settings(write(tmp_path, "server:\n  port: : :\n"), environ={})


def test_check_config_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "cameras:\n  - id: a\n    detect_fps: fast\n")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cameras.0.detect_fps" in err and "cameras.0.url" in err
    good = runnable(tmp_path)
    assert main(["check-config", str(good)]) == 0
    assert "ok" in capsys.readouterr().out


def test_the_installed_command_exits_2(tmp_path: Path) -> None:
    bad = write(tmp_path, "bogus: 1\n")
    exe = Path(sys.executable).with_name("rtcc")
    proc = subprocess.run([str(exe), "check-config", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "bogus: unknown key" in proc.stderr


def test_every_command_honours_the_environment(tmp_path: Path) -> None:
    """`rtcc --config` on any command reads RTCC_* variables (here: a bad one)."""
    exe = Path(sys.executable).with_name("rtcc")
    good = write(tmp_path, GOOD)
    proc = subprocess.run(
        [str(exe), "models", "verify", "--config", str(good)],
        capture_output=True,
        text=True,
        env={"RTCC_SERVER__PORT": "not-a-port", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert "server.port" in proc.stderr


def test_config_may_come_before_or_after_the_command(tmp_path: Path) -> None:
    from rtcc.cli.main import build_parser

    path = write(tmp_path, GOOD)
    for argv in (["--config", str(path), "serve"], ["serve", "--config", str(path)]):
        assert build_parser().parse_args(argv).config == path
    assert build_parser().parse_args(["serve"]).config is None


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ("lpr:\n  model_dir: models\n  regions: [us, xx]\n", "lpr.regions.1", "no plate formats"),
        ("lpr:\n  model_dir: models\n  ocr_model: nope\n", "lpr.ocr_model", "no .onnx"),
        ("lpr:\n  model_dir: elsewhere\n", "lpr.model_dir", "not a folder"),
        ("lpr:\n  model_dir: models\n  masks: [[[0, 0], [5, 5]]]\n", "lpr.masks.0", "3 points"),
        ("cameras:\n  - {id: c, url: 'ftp://cam/x'}\n", "cameras.0.url", "unsupported scheme"),
        ("cameras:\n  - {id: c, url: 'rtsp://cam:99999/x'}\n", "cameras.0.url", "not a valid"),
        ("cameras:\n  - {id: c, url: 'rtsp:///x'}\n", "cameras.0.url", "no host"),
        ("cameras:\n  - {id: c, url: x.mp4, detect_url: 'ftp://u:pw@cam/s'}\n",
         "cameras.0.detect_url", "unsupported scheme"),
        ("cameras:\n  - {id: c, url: x.mp4, motion: {masks: [[[1, 1]]]}}\n",
         "cameras.0.motion.masks.0", "3 points"),
        ("hotlists:\n  - {name: gone, file: gone.csv}\n", "hotlists.0.file", "cannot read"),
    ],
)
def test_check_config_finds_what_a_worker_would_fail_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, field: str, message: str
) -> None:
    path = runnable(tmp_path)
    base = yaml.safe_load(GOOD)
    base.update(yaml.safe_load(extra))
    path.write_text(yaml.safe_dump(base), encoding="utf-8")
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{field}: " in err and message in err, err
    assert "u:pw@" not in err  # never a camera's credentials


def test_check_config_on_a_binary_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rtcc.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    assert main(["check-config", str(path)]) == 2
    assert "not a UTF-8 text file" in capsys.readouterr().err


def test_check_config_warns_on_insecure_production_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = runnable(tmp_path)
    text = GOOD + "environment: production\nlog_level: DEBUG\nauth:\n  cookie_secure: false\n"
    path.write_text(text, encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: auth.cookie_secure" in err and "warning: log_level" in err


def test_check_config_warns_on_retention_beyond_the_legal_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = runnable(tmp_path)
    text = GOOD + ("retention:\n  plate_reads_days: 36500\n"
                   "  legal_max_days: {plate_reads: 90, hits: 365, video: 31}\n")
    path.write_text(text, encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: retention.plate_reads_days: keeps 36500 days" in err
    assert "retention.hits_days: keeps 36500 days, beyond the legal limit of 365" in err
    assert "video_days" not in err


def test_cookie_secure_defaults_by_environment() -> None:
    prod = load_settings(None, overrides={"environment": "production"}, environ={})
    dev = load_settings(None, overrides={"environment": "development"}, environ={})
    assert prod.auth.cookie_secure is True and dev.auth.cookie_secure is False


def test_fast_password_hash_only_outside_production() -> None:
    test = load_settings(None, overrides={"environment": "test"}, environ={})
    assert test.auth.password_hash == "fast"
    prod = load_settings(None, overrides={"environment": "production"}, environ={})
    assert prod.auth.password_hash == "standard"
    with pytest.raises(ConfigError, match="auth.password_hash"):
        load_settings(None, environ={}, overrides={"environment": "production",
                                                   "auth": {"password_hash": "fast"}})


def test_loading_settings_never_swaps_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another thread reading os.environ while settings load sees it whole (it was cleared)."""
    monkeypatch.setenv("RTCC_SERVER__PORT", "1234")
    assert load_settings(None, environ={"RTCC_SERVER__PORT": "9000"}).server.port == 9000
    assert load_settings(None).server.port == 1234
    stop = threading.Event()
    seen: list[str | None] = []

    def watch() -> None:
        while not stop.is_set():
            seen.append(os.environ.get("RTCC_SERVER__PORT"))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(300):
            load_settings(None, environ={})
    finally:
        stop.set()
        watcher.join()
    assert seen and set(seen) == {"1234"}


def test_no_password_is_hashed_at_import() -> None:
    code = (
        "import argon2\n"
        "calls = []\n"
        "orig = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda *a, **k: calls.append(1) or orig(*a, **k)\n"
        "import web.app, rtcc.cli.main\n"
        "print(len(calls))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"
