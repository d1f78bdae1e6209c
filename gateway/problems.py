"""Typed errors -> RFC 9457 problem+json responses."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.errors import BerthError, Conflict, InvalidInput, NotFound, PermanentError, TemporaryError

PROBLEM_JSON = "application/problem+json"


class Unauthorized(BerthError):
    """No valid credentials were presented."""


class Forbidden(BerthError):
    """The caller is known but may not do this (and may know that the target exists)."""


_STATUS: list[tuple[type[BerthError], int, str]] = [
    (Unauthorized, 401, "Unauthorized"),
    (Forbidden, 403, "Forbidden"),
    (NotFound, 404, "Not Found"),
    (Conflict, 409, "Conflict"),
    (InvalidInput, 422, "Invalid input"),
    (TemporaryError, 503, "Temporarily unavailable"),
    (PermanentError, 500, "Failed"),
]


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None,
            **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_of(error: BerthError) -> JSONResponse:
    for kind, status, title in _STATUS:
        if isinstance(error, kind):
            extra = {"field": error.field} if isinstance(error, InvalidInput) and error.field else {}
            headers = {"WWW-Authenticate": 'Bearer realm="berth"'} if status == 401 else None
            return problem(status, title, str(error), headers, **extra)
    return problem(500, "Internal error", str(error))


async def berth_error(_: Request, error: Exception) -> JSONResponse:
    if isinstance(error, BerthError):
        return problem_of(error)
    return problem(500, "Internal error", str(error))
