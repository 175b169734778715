"""Snapshots and crops from the data directory, never anything outside it. A photo stored by
another API instance (its own data folder) is fetched from the media bucket and kept here
(``rtcc.runtime.media_relay.fetch_missing``)."""

from __future__ import annotations

from pathlib import PurePosixPath

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from rtcc.auth import visibility
from rtcc.errors import InvalidInputError, NotFoundError
from rtcc.runtime.media_relay import fetch_missing, media_path
from rtcc.schemas.common import file_response
from web.deps import ServicesDep
from web.looks import Looks
from web.security import VisibleScope, require

router = APIRouter()


@router.get(
    "/media/{path:path}", dependencies=[Depends(require("hits:view"))],
    response_class=FileResponse, responses=file_response("image/jpeg", "A snapshot or crop"),
)
def media(path: str, services: ServicesDep, scope: VisibleScope, looks: Looks) -> FileResponse:
    root = (services.settings.data_dir / "media").resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or "\x00" in path:
        raise InvalidInputError("media path leaves the media folder", field="path")
    # Another camera's image, or a file of no known camera: as if absent.
    visibility.require_media(scope, PurePosixPath(target.relative_to(root).as_posix()))
    rel = f"media/{target.relative_to(root).as_posix()}"
    if media_path(services.settings.data_dir, rel) is None:  # not a JPEG, or a name too long
        raise NotFoundError(f"no media file {path!r}")
    if not target.is_file() and (fetch_missing(services, rel) is None or not target.is_file()):
        raise NotFoundError(f"no media file {path!r}")
    looks.saw("media", target=f"media:{target.relative_to(root).as_posix()}")
    return FileResponse(target, media_type="image/jpeg")
