"""The gateway's Starlette app: health, the event log and read models over HTTP, a landing page."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from domain.errors import BerthError, InvalidInput
from gateway.auth.tokens import TokenFile
from gateway.platform import Platform
from gateway.problems import Unauthorized, berth_error
from infra.store.records import StoredEvent


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
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


def event_json(event: StoredEvent) -> dict[str, Any]:
    envelope = event.envelope
    return {
        "position": envelope.position, "event_id": str(envelope.event_id), "stream_id": envelope.stream_id,
        "stream_type": envelope.stream_type, "version": envelope.version, "type": envelope.type,
        "schema": envelope.schema, "occurred_at": envelope.occurred_at.isoformat(), "actor": envelope.actor,
        "correlation_id": str(envelope.correlation_id),
        "causation_id": None if envelope.causation_id is None else str(envelope.causation_id),
        "payload_base64": base64.b64encode(event.payload).decode(),
    }


def create_app(platform: Platform, tokens: TokenFile) -> Starlette:
    def authenticate(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token or not tokens.verify(token.strip()):
            raise Unauthorized("send 'Authorization: Bearer <token>' with a token printed by `berth up`")

    async def health(_: Request) -> JSONResponse:
        head = await platform.stores.events.head_position()
        return JSONResponse({"status": "ok", "mode": platform.settings.mode.value, "head_position": head})

    async def events(request: Request) -> JSONResponse:
        authenticate(request)
        after = _int_param(request, "after", 0, 0, 2**62)
        limit = _int_param(request, "limit", 100, 1, 1000)
        page = await platform.stores.events.read_all(after, limit)
        return JSONResponse({"events": [event_json(e) for e in page]})

    async def workspaces(request: Request) -> JSONResponse:
        authenticate(request)
        return JSONResponse({"workspaces": await platform.stores.views.list("workspaces", "workspaces")})

    async def index(_: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><head><title>Berth</title></head><body>"
            "<h1>Berth</h1><p>The control plane is running in "
            f"{platform.settings.mode.value} mode.</p></body></html>"
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        platform.start()
        try:
            yield
        finally:
            await platform.stop()

    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/health", health),
            Route("/api/events", events),
            Route("/api/workspaces", workspaces),
        ],
        exception_handlers={BerthError: berth_error},
        lifespan=lifespan,
    )
