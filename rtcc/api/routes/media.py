"""Snapshots and crops from the data directory, never anything outside it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from rtcc.api.deps import ServicesDep
from rtcc.api.security import require
from rtcc.errors import InvalidInputError, NotFoundError

router = APIRouter()


@router.get("/media/{path:path}", dependencies=[Depends(require("hits:view"))])
def media(path: str, services: ServicesDep) -> FileResponse:
    root = (services.settings.data_dir / "media").resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or "\x00" in path:
        raise InvalidInputError("media path leaves the media folder", field="path")
    if target.suffix.lower() not in {".jpg", ".jpeg"} or not target.is_file():
        raise NotFoundError(f"no media file {path!r}")
    return FileResponse(target, media_type="image/jpeg")
