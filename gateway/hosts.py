"""Host-header routing in front of the API: `*.ws.<domain>` goes to the workspace proxy, every other host
to the API and dashboard. Lifespan events pass through to the app."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from domain.errors import InvalidInput
from gateway.proxy.app import WorkspaceProxy
from gateway.proxy.headers import header
from gateway.proxy.routing import WorkspaceTarget, parse_workspace_host


class WorkspaceHosts:
    def __init__(self, app: ASGIApp, proxy: WorkspaceProxy, domain: str) -> None:
        self.app = app
        self.proxy = proxy
        self.domain = domain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = (header(scope["headers"], b"host") or b"").decode("latin-1")
            target: WorkspaceTarget | InvalidInput | None
            try:
                target = parse_workspace_host(host, self.domain)
            except InvalidInput as error:
                target = error
            if target is not None:
                await self.proxy(scope, receive, send, target)
                return
        await self.app(scope, receive, send)
