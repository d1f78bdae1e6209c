"""Query parameters, checked, with errors that name them."""

from __future__ import annotations

from starlette.requests import Request

from domain.errors import InvalidInput


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"query parameter {name!r} must be an integer, got {raw!r}", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"query parameter {name!r} must be between {low} and {high}", field=name)
    return value
