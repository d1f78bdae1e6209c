"""Reading API request bodies: a JSON object (or a urlencoded form, for the HTML login page), with errors
that name the field."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from domain.errors import InvalidInput

MAX_BODY = 64 * 1024


async def object_body(request: Request, *, allow_form: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidInput(f"the request body is larger than {MAX_BODY} bytes", field="body")
    if allow_form and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the request body is not valid JSON: {error}", field="body") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    return body


def only_fields(body: dict[str, Any], *allowed: str) -> None:
    for name in body:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}; expected {', '.join(allowed)}", field=name)


def string_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", field=name)
    return value


def required_string(body: dict[str, Any], name: str) -> str:
    value = string_field(body, name, required=True)
    assert value is not None
    return value
