"""A real console (``rtcc serve``) for the video tests: cameras without plate recognition (so no
models are needed) on real RTSP servers and files, recording on, one account per role."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rtcc.audit import SYSTEM
from rtcc.auth.users import create_user
from rtcc.config import load_settings
from rtcc.db import transaction
from rtcc.runtime.services import build_services
from tests.support.console_server import PASSWORD, USERS, ConsoleServer


@dataclass
class VideoConsole(ConsoleServer):
    cameras: list[dict[str, Any]] = field(default_factory=list)

    def prepare(self) -> None:
        cfg = {
            "environment": "test",
            "data_dir": str(self.root / "data"),
            "server": {"host": "127.0.0.1", "port": self.port},
            "cameras": self.cameras,
        }
        self.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        services = build_services(load_settings(self.config))  # migrates
        try:
            now = services.clock.now()
            with transaction(services.sessions) as session:
                for name, roles in USERS.items():
                    create_user(session, username=name, roles=roles, password=PASSWORD, now=now,
                                actor=SYSTEM, min_password_length=12)
        finally:
            services.engine.dispose()


def scaled(clip: Path, out: Path, width: int) -> Path:
    """``clip`` scaled to ``width`` (H.264, same keyframes): a lower-resolution substream."""
    if not out.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(clip), "-an", "-vf",
                        f"scale={width}:-2", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0",
                        "-g", "15", "-crf", "32", str(out)], check=True)
    return out


__all__ = ["PASSWORD", "VideoConsole", "scaled"]
