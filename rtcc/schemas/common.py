"""What every read model shares: UTC timestamps as ISO 8601 text, media URLs, pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer


def _iso(value: datetime) -> str:
    return value.isoformat()


# Timestamps leave as ``datetime.isoformat()`` (``+00:00``), as they always have.
UtcDatetime = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json")]


class ReadModel(BaseModel):
    """Base of every API and event read model: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


T = TypeVar("T")


class Page(ReadModel, Generic[T]):
    """A list answer: the items and how many there are in this answer."""

    items: list[T]
    count: int


def media_url(path: str | None) -> str | None:
    """``media/reads/cam/x.jpg`` (relative to the data directory) → ``/media/reads/cam/x.jpg``."""
    return f"/media/{path.removeprefix('media/')}" if path else None


def file_response(
    media_type: str, description: str, *, binary: bool = True
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers with a file or a stream, not JSON."""
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


CSV_RESPONSE = file_response("text/csv", "CSV, one row per item, with a header row", binary=False)
