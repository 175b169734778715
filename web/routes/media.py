"""Snapshots and crops from the data directory, never anything outside it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from rtcc.errors import InvalidInputError, NotFoundError
from web.deps import ServicesDep
from web.security import CurrentUser, require

router = APIRouter()


@router.get("/media/{path:path}", dependencies=[Depends(require("hits:view"))])
def media(path: str, services: ServicesDep, user: CurrentUser) -> FileResponse:
    root = (services.settings.data_dir / "media").resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or "\x00" in path:
        raise InvalidInputError("media path leaves the media folder", field="path")
    parts = target.relative_to(root).parts  # reads/<camera>/<date>/<file>
    if len(parts) >= 2 and parts[0] == "reads" and not user.sees_camera(parts[1]):
        raise NotFoundError(f"no media file {path!r}")  # not this officer's camera
    if target.suffix.lower() not in {".jpg", ".jpeg"} or not target.is_file():
        raise NotFoundError(f"no media file {path!r}")
    return FileResponse(target, media_type="image/jpeg")
