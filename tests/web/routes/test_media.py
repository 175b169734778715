"""Snapshots and crops: only inside the media folder, only for cameras the user may see."""

from __future__ import annotations

from typing import Any

from rtcc.runtime.services import Services

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


def _put(services: Services, rel: str) -> None:
    path = services.settings.data_dir / "media" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(JPEG)


def test_media_follows_camera_assignment_and_stays_in_its_folder(
    services: Services, api_client: Any
) -> None:
    _put(services, "reads/north/2026-03-01/t1-snap.jpg")
    _put(services, "reads/south/2026-03-01/t2-snap.jpg")
    (services.settings.data_dir / "secret.jpg").write_bytes(JPEG)
    north = "/media/reads/north/2026-03-01/t1-snap.jpg"
    south = "/media/reads/south/2026-03-01/t2-snap.jpg"

    detective = api_client("detective")
    assert detective.get(north).content == JPEG
    assert detective.get(south).status_code == 200

    officer = api_client("officer", cameras=["north"])
    assert officer.get(north).status_code == 200
    assert officer.get(south).status_code == 404  # another camera's image: as if absent

    assert api_client(None).get(north).status_code == 401
    assert api_client("auditor").get(north).status_code == 403
    for bad in ("/media/../secret.jpg", "/media/reads/%2e%2e/%2e%2e/secret.jpg"):
        assert detective.get(bad).status_code in (404, 422), bad
    assert detective.get("/media/reads/north/2026-03-01/missing.jpg").status_code == 404


def test_a_name_too_long_for_the_file_system_is_absent_not_a_500(
    services: Services, api_client: Any
) -> None:
    _put(services, "reads/north/2026-03-01/t1-snap.jpg")  # the folders exist
    detective = api_client("detective")
    long_name = "x" * 300 + ".jpg"  # over NAME_MAX (255): stat() fails with ENAMETOOLONG
    for path in (f"/media/reads/north/2026-03-01/{long_name}", f"/media/reads/{long_name}"):
        resp = detective.get(path)
        assert resp.status_code == 404, (path, resp.status_code, resp.text[:200])
