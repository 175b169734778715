"""Domain errors to HTTP, in one place, with a stable JSON body ``{error, detail, ...}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from rtcc.errors import DatabaseUnavailableError, RtccError, StorageFullError
from rtcc.runtime.spool import database_unavailable
from rtcc.storage import is_disk_full
from web.deps import get_services, get_session

STORAGE_FULL = "the server's storage is full: nothing was saved; try again once space is freed"
DATABASE_DOWN = "the database cannot be reached: nothing was read or saved; try again shortly"

# The body every error answers with (documented in place of FastAPI's default 422 shape).
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STORAGE_FULL_RESPONSE = {
    "description": "storage_full: the disk (of the data folder or the database) is full; "
    "nothing was saved",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def may_need_space(route: APIRoute, method: str) -> bool:
    """Whether a full disk can refuse an operation (507): every change, and every operation
    that reaches the database or the data folder (a session, or the services): a look at
    personal data commits its audit entry first, a search or a download is audited, an image
    may be copied from another instance, and even a plain query can spill a sort to disk."""
    return method in WRITING_METHODS or any(
        _depends_on(route.dependant, call) for call in (get_session, get_services)
    )


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI schema describe 422 bodies as they really are (``ERROR_SCHEMA``), and
    list the 507 ``storage_full`` answer where a full disk can refuse (``may_need_space``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        if "HTTPValidationError" in components:
            components["HTTPValidationError"] = ERROR_SCHEMA
        components["Error"] = ERROR_SCHEMA
        paths = schema.get("paths", {})
        for context in iter_route_contexts(app.routes):  # through the included routers
            route = context.original_route
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for method in context.methods or ():
                operation = paths.get(context.path_format, {}).get(method.lower())
                if operation is not None and may_need_space(route, method):
                    operation.setdefault("responses", {})["507"] = STORAGE_FULL_RESPONSE
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    document_errors(app)

    @app.exception_handler(RtccError)
    async def _domain(_: Request, exc: RtccError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OSError)
    async def _storage(request: Request, exc: Exception) -> JSONResponse:
        """A full disk (file system, SQLite or PostgreSQL) is a 507 ``storage_full``, a database
        that cannot be reached a 503 ``database_unavailable`` (retry after a few seconds), never
        a 500; any other failure of these kinds is left to the server's error handling."""
        if is_disk_full(exc):
            return await _domain(request, StorageFullError(STORAGE_FULL))
        if database_unavailable(exc):
            response = await _domain(request, DatabaseUnavailableError(DATABASE_DOWN))
            response.headers["Retry-After"] = "5"
            return response
        raise exc

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path"))
            problems.append({"field": loc, "message": err["msg"]})
        detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse(
            {"error": "invalid_input", "detail": detail, "fields": problems}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            {"error": code, "detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
