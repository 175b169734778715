"""A running server notices lists changed by another process (the CLI) and rebuilds its index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rtcc.runtime.hotlists import HotlistWatcher, rebuild_index
from rtcc.runtime.services import Services


def test_cli_import_reaches_the_running_index(services: Services, tmp_path: Path) -> None:
    rebuild_index(services)
    watcher = HotlistWatcher(services, interval_s=3600)
    watcher._seen = None
    assert watcher.check()  # first look always rebuilds
    assert not watcher.check()  # nothing changed
    assert not services.matcher.match("CLI4242", state=None, now=services.clock.now())

    listfile = tmp_path / "l.csv"
    listfile.write_text("plate,reason\nCLI4242,stolen\n", encoding="utf-8")
    config = tmp_path / "rtcc.yaml"
    settings = services.settings
    config.write_text(f"data_dir: {settings.data_dir}\ndatabase:\n  url: {settings.database_url}\n")
    exe = Path(sys.executable).with_name("rtcc")
    proc = subprocess.run(
        [str(exe), "hotlist", "import", str(listfile), "--list", "cli", "--config", str(config)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert watcher.check()
    assert watcher.rebuilds == 2
    matches = services.matcher.match("CLI4242", state=None, now=services.clock.now())
    assert [m.entry.plate for m in matches] == ["CLI4242"]
