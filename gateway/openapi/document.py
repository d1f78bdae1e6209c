"""Builds the OpenAPI 3.1 document from the endpoints' operations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.openapi.operation import Endpoint, Operation, Schema, ref
from gateway.openapi.schemas import COMPONENTS
from gateway.problems import PROBLEM_JSON

_CONVERTOR_SCHEMA: dict[str, Schema] = {"int": {"type": "integer"}, "str": {"type": "string"},
                                        "path": {"type": "string"}}


def _operation(endpoint: Endpoint, operation: Operation) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": _CONVERTOR_SCHEMA.get(kind, {"type": "string"})}
        for name, kind in endpoint.path_params
    ]
    params += [{"name": p.name, "in": p.where, "required": p.required, "schema": p.schema,
                "description": p.description} for p in operation.params]
    responses: dict[str, Any] = {}
    for reply in operation.replies:
        # Several replies with one status are one response with several media types.
        body: dict[str, Any] = responses.setdefault(str(reply.status), {"description": reply.description})
        if reply.schema is not None:
            body.setdefault("content", {})[reply.media_type] = {"schema": reply.schema}
    if not operation.public:
        responses.setdefault("401", {"description": "No valid token or session.",
                                     "content": {PROBLEM_JSON: {"schema": ref("Problem")}}})
    described: dict[str, Any] = {"operationId": endpoint.handler.__name__, "summary": operation.summary,
                                 "tags": [operation.tag], "responses": responses}
    if operation.description:
        described["description"] = operation.description
    if params:
        described["parameters"] = params
    if operation.body is not None:
        described["requestBody"] = {"required": True, "content": {
            media: {"schema": operation.body} for media in operation.body_media_types}}
    described["security"] = [] if operation.public else [{"bearer": []}, {"session": []}]
    return described


def openapi_document(endpoints: Iterable[Endpoint], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        if endpoint.operation is None:
            continue
        paths.setdefault(endpoint.openapi_path, {})[endpoint.method.lower()] = _operation(endpoint, endpoint.operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Berth", "version": version,
                 "description": "Cloud development environments on an event-sourced control plane."},
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token (`berth_…`)."},
                "session": {"type": "apiKey", "in": "cookie", "name": "berth_session",
                            "description": "Set by POST /api/login."},
            },
        },
    }

