"""One check on every request's text before any route runs: no NUL characters anywhere.

PostgreSQL refuses NUL in text columns, so a NUL in a login, a search reason or a list name
used to fail deep inside a flush (500, on one database only). This app-wide dependency walks
the path, the query string, a JSON body and form fields (and upload file names) with
``rtcc.schemas.types.no_nul`` and answers 422 naming the first offending field, before
anything is read from or written to the database.
Integers that do not fit 64 bits in a JSON body are refused the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from starlette.requests import HTTPConnection, Request

from rtcc.errors import InvalidInputError
from rtcc.schemas.types import INT64_MAX, INT64_MIN, no_nul


def _walk(value: Any, at: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{at}.{key}" if at else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{at}.{i}" if at else str(i))
    else:
        yield at, value


def _check(field: str, value: Any) -> None:
    if isinstance(value, str):
        try:
            no_nul(value)
        except ValueError as exc:
            raise InvalidInputError(f"{field}: {exc}", field=field) from None
    elif isinstance(value, int) and not isinstance(value, bool) and not (
        INT64_MIN <= value <= INT64_MAX
    ):
        raise InvalidInputError(f"{field}: must fit in 64 bits", field=field)


async def refuse_bad_text(request: HTTPConnection) -> None:
    """App-wide dependency (see the module docstring)."""
    for name, value in request.path_params.items():
        _check(name, str(value))
    _check("path", request.url.path)
    for name, value in request.query_params.multi_items():
        _check(name, name)
        _check(name, value)
    if not isinstance(request, Request):
        return  # a websocket: no body
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        body = await request.body()
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return  # the route's own validation answers 422 for malformed JSON
        for field, value in _walk(data, ""):
            _check(field or "body", value)
    elif kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()  # parsed once; the route reads the same form
        for name, value in form.multi_items():
            if isinstance(value, str):
                _check(name, value)
            elif value.filename is not None:
                _check(name, value.filename)
