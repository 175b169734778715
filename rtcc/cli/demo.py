"""``rtcc demo``: the server on 127.0.0.1:8080 with a demo camera and a demo hotlist.

Uses the real footage and models in ``../shared`` when present; otherwise a clip of rendered
plates that the project makes itself and fast-alpr's hub download of the models.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from rtcc.cli.context import cli_context
from rtcc.errors import ConfigError
from rtcc.models import User
from rtcc.runtime.services import Services

DEMO_VIDEO = "data/video/theAIGuysCode/license_plate.mp4"
DEMO_PLATE = "LS15EBC"


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="run the demo (demo camera, demo hotlist, SQLite)")
    add_config(p)
    p.add_argument("--data-dir", type=Path, default=Path("rtcc-data/demo"))
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--shared", type=Path, default=None, help="folder with models/ and data/")
    p.set_defaults(func=_demo)


def find_shared(given: Path | None) -> Path | None:
    candidates = [given] if given else []
    here = Path(__file__).resolve()
    candidates += [Path.cwd() / "../shared", here.parents[2] / "../shared"]
    for c in candidates:
        if c is not None and (c / "models").is_dir():
            return c.resolve()
    return None


def demo_overrides(data_dir: Path, shared: Path | None, port: int) -> dict[str, object]:
    from cameras.synthetic import write_demo_clip

    data_dir.mkdir(parents=True, exist_ok=True)
    video = shared / DEMO_VIDEO if shared else None
    plates = [DEMO_PLATE]
    if video is None or not video.is_file():
        video = data_dir / "demo-clip.mp4"
        plates = write_demo_clip(video)
    hotlist = data_dir / "demo-hotlist.csv"
    hotlist.write_text(
        "plate,state,reason\n" + "".join(f"{p},,demo: stolen vehicle\n" for p in plates[:1]),
        encoding="utf-8",
    )
    lpr: dict[str, object] = {}
    if shared is not None:
        lpr["model_dir"] = str(shared / "models")
    return {
        "data_dir": str(data_dir),
        "server": {"host": "127.0.0.1", "port": port},
        "lpr": lpr,
        "cameras": [
            {"id": "demo-1", "name": "Demo camera (file)", "url": str(video), "loop": True,
             "location": {"lat": 40.7128, "lon": -74.0060}}
        ],
        "hotlists": [{"name": "demo-stolen", "file": str(hotlist), "kind": "stolen_vehicle"}],
    }


def _demo(args: argparse.Namespace) -> int:
    from rtcc.cli.serve import run_server

    shared = find_shared(args.shared)
    if args.config is not None:
        raise ConfigError("rtcc demo builds its own settings; use rtcc serve --config FILE")
    overrides = demo_overrides(args.data_dir, shared, args.port)
    source = f"models from {shared}" if shared else "models from the fast-alpr hub"
    with cli_context(args, overrides=overrides) as ctx:
        url = f"http://127.0.0.1:{ctx.settings.server.port}/"
        return run_server(
            ctx,
            banner=f"RTCC demo ({source}) — open the console: {url}",
            prepare=demo_accounts,
        )


DEMO_ROLES = ("admin", "supervisor", "detective", "officer", "auditor")


def demo_accounts(services: Services) -> str:
    """One demo account per role with a random password (no default passwords, even here).

    The passwords are written once to ``<data_dir>/demo-credentials.txt`` (mode 600) and shown.
    """
    from rtcc.auth.users import create_user
    from rtcc.cli.context import cli_actor

    creds_file = services.settings.data_dir / "demo-credentials.txt"
    known: dict[str, str] = {}
    if creds_file.is_file():
        for line in creds_file.read_text(encoding="utf-8").splitlines():
            name, _, password = line.partition(" ")
            known[name] = password
    with services.sessions() as session:
        existing = set(session.scalars(select(User.username)))
        for role in DEMO_ROLES:
            if role in existing:
                continue
            password = known.get(role) or secrets.token_urlsafe(12)
            create_user(
                session, username=role, roles=[role], password=password,
                now=services.clock.now(), actor=cli_actor(),
                min_password_length=services.settings.auth.min_password_length,
            )
            known[role] = password
        session.commit()
    creds_file.write_text("".join(f"{k} {v}\n" for k, v in known.items()), encoding="utf-8")
    creds_file.chmod(0o600)
    lines = [f"  {role:<11} {known.get(role, '(set before this demo)')}" for role in DEMO_ROLES]
    return "Demo accounts (user = role; passwords in " + str(creds_file) + "):\n" + "\n".join(
        lines
    )
