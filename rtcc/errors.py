"""Typed domain errors. The API maps them to HTTP in one place (``web.errors``)."""

from __future__ import annotations


class RtccError(Exception):
    """Base of every error the product raises on purpose."""

    status_code = 400  # the HTTP status the API answers with
    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.details.items())
        return f"{type(self).__name__}({self.message!r}{extra})"

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "detail": self.message, **self.details}


class ConfigError(RtccError):
    code = "config_error"


class NotFoundError(RtccError):
    status_code = 404
    code = "not_found"


class ConflictError(RtccError):
    status_code = 409
    code = "conflict"


class InvalidInputError(RtccError):
    status_code = 422
    code = "invalid_input"


class PermissionDeniedError(RtccError):
    status_code = 403
    code = "forbidden"


class AuthenticationError(RtccError):
    status_code = 401
    code = "unauthenticated"


class ModelError(RtccError):
    """A plate model is missing, corrupt or cannot be loaded."""

    code = "model_error"


class TooManyRequestsError(RtccError):
    """A caller exceeded a rate limit (e.g. login attempts from one address)."""

    status_code = 429
    code = "rate_limited"


class DatabaseUnavailableError(RtccError):
    """The database cannot be reached now (an outage): retry shortly. Reads keep arriving in
    the ingest spool meanwhile (``rtcc.runtime.spool``)."""

    status_code = 503
    code = "database_unavailable"


class StorageFullError(RtccError):
    """A write failed because the disk (or the database's disk) is full (``rtcc.storage``)."""

    status_code = 507
    code = "storage_full"
