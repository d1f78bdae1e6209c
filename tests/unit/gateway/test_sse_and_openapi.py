"""Server-sent event framing, and the OpenAPI document's coverage of the routes."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from gateway.openapi.document import openapi_document
from gateway.openapi.operation import Endpoint, Operation, Reply
from gateway.sse import sse_comment, sse_message


def test_an_event_is_one_id_event_and_data_line() -> None:
    raw = sse_message(3, "workspace.created", {"text": "two\nlines"}).decode()
    lines = raw.split("\n")
    assert lines[:3] == ["id: 3", "event: workspace.created", 'data: {"text":"two\\nlines"}']
    assert raw.endswith("\n\n")
    assert json.loads(lines[2].removeprefix("data: ")) == {"text": "two\nlines"}
    assert sse_comment("keepalive") == b": keepalive\n\n"


async def handler(_: Request) -> Response:
    return Response()


def test_path_parameters_are_documented_from_the_route_path() -> None:
    endpoint = Endpoint("/api/w/{workspace_id}/ports/{port:int}", "PATCH", handler,
                        Operation("x", "t", (Reply(200, "ok"),)))
    document = openapi_document([endpoint, Endpoint("/page", "GET", handler, None)], "1")
    assert list(document["paths"]) == ["/api/w/{workspace_id}/ports/{port}"]
    operation = document["paths"]["/api/w/{workspace_id}/ports/{port}"]["patch"]
    assert operation["parameters"] == [
        {"name": "workspace_id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "port", "in": "path", "required": True, "schema": {"type": "integer"}}]
    assert "401" in operation["responses"] and operation["security"]
