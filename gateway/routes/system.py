"""Health, the global event log, and the landing page."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Param, Reply, problem_reply, ref
from gateway.params import int_param
from infra.store.records import StoredEvent


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


def endpoints(gw: Gateway) -> list[Endpoint]:
    async def health(_: Request) -> Response:
        head = await gw.store.head_position()
        return JSONResponse({"status": "ok", "mode": gw.platform.settings.mode.value, "head_position": head})

    async def global_events(request: Request) -> Response:
        await gw.require_admin(request)  # the whole log: every user's workspaces and accounts
        after = int_param(request, "after", 0, 0, 2**62)
        limit = int_param(request, "limit", 100, 1, 1000)
        page = await gw.store.read_all(after, limit)
        return JSONResponse({"events": [event_json(e) for e in page]})

    return [
        Endpoint("/api/health", "GET", health, Operation(
            "Is the gateway up, and how far is the event log", "system",
            (Reply(200, "Up.", ref("Health")),), public=True)),
        Endpoint("/api/events", "GET", global_events, Operation(
            "The global event log from a position (admins)", "system",
            (Reply(200, "A page of events in position order.", ref("EventPage")),
             problem_reply(403, "Not an admin."), problem_reply(422, "A bad query parameter.")),
            params=(Param("after", "query", {"type": "integer", "minimum": 0}, "Position to read after."),
                    Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000},
                          "Most events to return.")))),
    ]
