"""Route metadata: each endpoint carries the OpenAPI operation that describes it, so the document can not
drift from the routes (a route without an operation is not part of the API: an HTML page, say)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.problems import PROBLEM_JSON

Schema = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]

_PATH_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: Literal["query", "header"]
    schema: Schema
    description: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    description: str
    schema: Schema | None = None
    media_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    tag: str
    replies: tuple[Reply, ...]
    params: tuple[Param, ...] = ()
    body: Schema | None = None
    body_media_types: tuple[str, ...] = ("application/json",)
    public: bool = False
    """No credentials needed (health, login)."""
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    """Starlette syntax: `/api/workspaces/{workspace_id}/ports/{port:int}`."""
    method: str
    handler: Handler
    operation: Operation | None

    def route(self) -> Route:
        return Route(self.path, self.handler, methods=[self.method], name=self.handler.__name__)

    @property
    def openapi_path(self) -> str:
        return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path)

    @property
    def path_params(self) -> list[tuple[str, str]]:
        """(name, starlette convertor) of each path parameter, in order."""
        return [(m.group(1), m.group(2) or "str") for m in _PATH_PARAM.finditer(self.path)]


def problem_reply(status: int, description: str) -> Reply:
    return Reply(status, description, ref("Problem"), PROBLEM_JSON)
