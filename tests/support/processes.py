"""Stopping the real processes a test started (a node, an API instance)."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, 20 s to finish cleanly, then SIGKILL."""
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
