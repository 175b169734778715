"""The demo's own material: without ../shared it renders a clip the real models read."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from lpr.recognizer import build_recognizer
from rtcc.cli.demo import demo_overrides
from rtcc.config import LprSettings, load_settings


def test_demo_with_shared_uses_the_real_footage(tmp_path: Path, model_dir: Path) -> None:
    shared = model_dir.parent
    settings = load_settings(None, overrides=demo_overrides(tmp_path, shared, 8080), environ={})
    assert settings.cameras[0].url.endswith("theAIGuysCode/license_plate.mp4")
    assert settings.lpr.model_dir == shared / "models"
    assert "LS15EBC" in settings.hotlists[0].file.read_text()


@pytest.mark.slow
def test_demo_without_shared_renders_a_clip_the_real_models_read(
    tmp_path: Path, model_dir: Path
) -> None:
    settings = load_settings(None, overrides=demo_overrides(tmp_path, None, 8080), environ={})
    assert settings.lpr.model_dir is None  # the hub, where the internet exists
    wanted = settings.hotlists[0].file.read_text().splitlines()[1].split(",")[0]
    recognizer = build_recognizer(LprSettings(model_dir=model_dir))
    cap = cv2.VideoCapture(settings.cameras[0].url)
    seen: set[str] = set()
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % 5 == 0:
            seen.update(o.text for o in recognizer.recognize(frame))
        index += 1
    cap.release()
    assert index > 50
    assert wanted in seen


def test_demo_accounts_have_random_passwords_that_log_in(sqlite_services: object) -> None:
    from rtcc.auth.passwords import verify_password
    from rtcc.cli.demo import DEMO_ROLES, demo_accounts
    from rtcc.models import User

    services = sqlite_services
    text = demo_accounts(services)  # type: ignore[arg-type]
    creds = dict(
        line.split(" ", 1)
        for line in (services.settings.data_dir / "demo-credentials.txt")  # type: ignore[attr-defined]
        .read_text()
        .splitlines()
    )
    assert set(creds) == set(DEMO_ROLES)
    assert len(set(creds.values())) == len(DEMO_ROLES)  # no shared or default password
    with services.sessions() as session:  # type: ignore[attr-defined]
        for role in DEMO_ROLES:
            user = session.query(User).filter_by(username=role).one()
            assert user.roles == [role]
            assert verify_password(user.password_hash, creds[role])
    assert creds["officer"] in text
    # A second start keeps the same accounts and passwords.
    demo_accounts(services)  # type: ignore[arg-type]
    again = (services.settings.data_dir / "demo-credentials.txt").read_text()  # type: ignore[attr-defined]
    assert dict(line.split(" ", 1) for line in again.splitlines()) == creds
