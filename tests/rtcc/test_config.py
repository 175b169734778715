"""Settings: YAML + RTCC_* environment, unknown keys and bad values named by path, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
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
