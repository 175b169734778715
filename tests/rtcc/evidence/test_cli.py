"""``rtcc evidence export|verify|public-key|list`` end to end on real recordings."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from rtcc.cli.main import main
from rtcc.runtime.services import Services
from tests.support.evidence import Recorded


@pytest.fixture
def config(services: Services, tmp_path: Path) -> Path:
    path = tmp_path / "rtcc.yaml"
    path.write_text(yaml.safe_dump({
        "environment": "test",
        "data_dir": str(services.settings.data_dir),
        "database": {"url": services.settings.database_url},
    }))
    return path


def test_export_a_hit_to_a_folder_then_verify(
    config: Path, recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["evidence", "export", "--config", str(config), "--hit", str(recorded.hit_id),
                 "--pre", "5", "--post", "5", "--case", "CASE-7", "--reason", "armed robbery",
                 "--authority", "warrant 7", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["request"] == {"kind": "hit", "id": recorded.hit_id, "read_ids": []}
    assert manifest["requester"].startswith("cli:")
    custody = [json.loads(x) for x in (out / "custody" / "log.jsonl").read_text().splitlines()]
    assert [c["event"] for c in custody] == ["created", "downloaded"]
    assert custody[1]["as"] == "folder" and custody[1]["audit_hash"]
    capsys.readouterr()
    assert main(["evidence", "verify", str(out)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["evidence", "public-key", "--config", str(config)]) == 0
    key = tmp_path / "published.pub"
    key.write_text(capsys.readouterr().out)
    assert key.read_text().startswith("untrusted comment: minisign public key ")
    assert main(["evidence", "verify", str(out), "--key", str(key)]) == 0
    assert "the key given" in capsys.readouterr().out
    (out / "data" / "hits.json").write_text("[]\n")
    assert main(["evidence", "verify", str(out)]) == 1
    assert "FAIL data/hits.json: changed" in capsys.readouterr().err
    assert main(["evidence", "list", "--config", str(config), "--case", "CASE-7"]) == 0
    assert "\tCASE-7\tdone\t" in capsys.readouterr().out


def test_export_a_window_to_a_zip_then_verify(
    config: Path, recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "case.zip"
    code = main(["evidence", "export", "--config", str(config), "--camera", "cam1",
                 "--start", "2026-03-01T12:00:02Z", "--end", "2026-03-01T12:00:10Z",
                 "--case", "CASE-8", "--reason", "hit and run", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert main(["evidence", "verify", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        top = names[0].split("/")[0]
        manifest = json.loads(zf.read(f"{top}/manifest.json"))
        stripped = tmp_path / "stripped.zip"
        with zipfile.ZipFile(stripped, "w") as dst:
            for name in names:
                if not name.endswith("-snapshot.jpg"):
                    dst.writestr(name, zf.read(name))
    assert manifest["window"]["seconds"] == 8.0 and manifest["counts"]["reads"] == 1
    capsys.readouterr()
    assert main(["evidence", "verify", str(stripped)]) == 1
    err = capsys.readouterr().err
    assert f"FAIL stills/read-{recorded.read_id}-snapshot.jpg: removed" in err


def test_a_window_without_recording_exits_2_naming_it(
    config: Path, recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["evidence", "export", "--config", str(config), "--camera", "cam1",
                 "--start", "2026-03-01T13:00:00Z", "--end", "2026-03-01T13:05:00Z",
                 "--case", "CASE-9", "--reason", "test", "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "window 2026-03-01T13:00:00+00:00 to 2026-03-01T13:05:00+00:00" in err
    # the CLI runs on the real clock, months after these recordings: outside retention
    assert "outside video retention" in err and "camera cam1 has no held recording" in err
    assert not (tmp_path / "o").exists()
