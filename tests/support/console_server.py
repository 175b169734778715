"""The real console for browser tests: ``rtcc serve`` in a subprocess on a free port, with a
file camera on the shared licence-plate clip, a hotlist holding LS15EBC, and one account per role.
The same port is kept across :meth:`ConsoleServer.restart` so a browser can reconnect."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from rtcc.audit import SYSTEM
from rtcc.auth.users import create_user
from rtcc.config import load_settings
from rtcc.db import transaction
from rtcc.runtime.services import build_services

PASSWORD = "correct horse battery staple"
USERS = {
    "olivia": ["officer"],
    "dave": ["detective"],
    "audrey": ["auditor"],
    "sam": ["supervisor"],
    "ada": ["admin"],
}
HOTLIST_CSV = (
    "plate,state,reason,case_number,expires_at,description\n"
    "LS15EBC,,stolen vehicle,CASE-2026-0042,,silver Vauxhall Corsa hatchback\n"
    "AB12CDE,,wanted driver,CASE-2026-0107,,black Ford Focus\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ConsoleServer:
    root: Path
    video: Path
    model_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    serve_args: tuple[str, ...] = ()  # e.g. ("--role", "api")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.root / "rtcc.yaml"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'data' / 'rtcc.db'}"

    @property
    def log(self) -> Path:
        return self.root / "serve.log"

    def prepare(self) -> None:
        (self.root / "hotlist.csv").write_text(HOTLIST_CSV, encoding="utf-8")
        cfg = {
            "environment": "test",
            "data_dir": str(self.root / "data"),
            "server": {"host": "127.0.0.1", "port": self.port},
            "lpr": {"model_dir": str(self.model_dir)},
            "cameras": [
                {"id": "a40-west", "name": "A40 Westbound", "url": str(self.video),
                 "loop": True, "detect_fps": 4},
                {"id": "dock-gate", "name": "Dock gate (offline)",
                 "url": str(self.root / "missing.mp4"), "loop": True, "detect_fps": 1},
            ],
            "hotlists": [{"name": "Stolen vehicles", "file": str(self.root / "hotlist.csv"),
                          "kind": "stolen_vehicle", "priority": 90}],
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

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        log = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rtcc.cli.main", "serve", "--config", str(self.config),
             *self.serve_args],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rtcc serve exited {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"rtcc serve did not answer within {timeout}s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class ModelFreeConsole(ConsoleServer):
    """The browser-test server without plate models or recording, plus a disabled camera
    "quay" (its health row is the test's to set: no worker overwrites it)."""

    def prepare(self) -> None:
        super().prepare()
        cfg = yaml.safe_load(self.config.read_text(encoding="utf-8"))
        cfg.pop("lpr", None)  # no plate models: no camera reads plates
        for cam in cfg["cameras"]:
            # No recording either: a half-written first segment would make the retention
            # run refuse ("media files but no rows"), as it should on a real system.
            cam["lpr"] = cam["record"] = False
        cfg["cameras"].append({"id": "quay", "name": "Quay road", "url": str(self.video),
                               "enabled": False, "lpr": False})
        self.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
