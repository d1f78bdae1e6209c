"""The gateway's ASGI app: the API and its OpenAPI document, login, and, by Host header, the workspace proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.errors import BerthError
from gateway.context import Gateway
from gateway.dashboard import routes as dashboard
from gateway.hosts import WorkspaceHosts
from gateway.openapi.document import openapi_document
from gateway.openapi.operation import Endpoint, Operation, Reply
from gateway.platform import Platform
from gateway.problems import berth_error
from gateway.proxy.app import WorkspaceProxy
from gateway.routes import env_vars, login, nodes, ssh_keys, system, terminals, users, workspace_streams, workspaces


def _version() -> str:
    try:
        return version("berth")
    except PackageNotFoundError:
        return "0.0.0"


def api_endpoints(gateway: Gateway) -> list[Endpoint]:
    document: dict[str, Any] = {}

    async def openapi(_: Request) -> Response:
        return JSONResponse(document)

    listed = [*dashboard.endpoints(gateway),
              *system.endpoints(gateway), *login.endpoints(gateway), *users.endpoints(gateway),
              *workspaces.endpoints(gateway), *workspace_streams.endpoints(gateway), *ssh_keys.endpoints(gateway),
              *env_vars.endpoints(gateway),
              *terminals.endpoints(gateway), *nodes.endpoints(gateway),
              Endpoint("/api/openapi.json", "GET", openapi, Operation(
                  "This document", "system", (Reply(200, "OpenAPI 3.1.", {"type": "object"}),), public=True))]
    document.update(openapi_document(listed, _version()))
    return listed


def create_app(platform: Platform) -> Starlette:
    gateway = Gateway.of(platform)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        platform.start()
        try:
            yield
        finally:
            await gateway.close()
            await platform.stop()

    app = Starlette(
        routes=[endpoint.route() for endpoint in api_endpoints(gateway)],
        exception_handlers={BerthError: berth_error},
        middleware=[Middleware(WorkspaceHosts, proxy=WorkspaceProxy(gateway), domain=platform.settings.domain)],
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app
