"""Typed errors -> RFC 9457 problem+json responses."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.errors import BerthError, Conflict, InvalidInput, NotFound, PermanentError, TemporaryError

_STATUS: list[tuple[type[BerthError], int, str]] = [
    (NotFound, 404, "Not Found"),
    (Conflict, 409, "Conflict"),
    (InvalidInput, 422, "Invalid input"),
    (TemporaryError, 503, "Temporarily unavailable"),
    (PermanentError, 500, "Failed"),
]


class Unauthorized(BerthError):
    """No valid credentials were presented."""


def problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def berth_error(_: Request, error: Exception) -> JSONResponse:
    if isinstance(error, Unauthorized):
        return problem(401, "Unauthorized", str(error))
    for kind, status, title in _STATUS:
        if isinstance(error, kind):
            extra = {"field": error.field} if isinstance(error, InvalidInput) and error.field else {}
            return problem(status, title, str(error), **extra)
    return problem(500, "Internal error", str(error))
