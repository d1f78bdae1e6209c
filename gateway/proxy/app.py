"""The workspace proxy: who may pass (owner rule, public ports), whether the workspace can answer, then a
tunnel through its supervisor and HTTP or WebSocket forwarding over it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.types import Receive, Scope, Send

from domain.errors import InvalidInput
from domain.users.tokens import looks_like_token
from gateway.auth.credentials import bearer_token, presented
from gateway.auth.decisions import Access, port_access
from gateway.proxy.headers import header, upstream_request_headers
from gateway.proxy.http import UpstreamFailed, forward_http
from gateway.proxy.pages import (
    deny,
    error_response,
    login_redirect,
    not_running_response,
    start_url,
    wants_html,
)
from gateway.proxy.routing import WorkspaceTarget, gateway_port_of
from gateway.proxy.tunnel import TunnelError, open_tunnel
from gateway.proxy.websocket import UpstreamRefused, forward_websocket
from projections.workspaces import port_visibility

if TYPE_CHECKING:
    from gateway.context import Gateway

# The supervisor and the services may answer from `initializing` on (tasks run, the IDE starts); a stopping
# workspace is being backed up and is not to be used any more.
REACHABLE_PHASES = frozenset({"creating", "initializing", "running"})


def supervisor_token(doc: dict[str, object]) -> str | None:
    """The supervisor's secret, once the workspace document carries one (the node agent chooses it)."""
    token = doc.get("supervisor_token")
    return token if isinstance(token, str) and token else None


def _decoded_headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]


class WorkspaceProxy:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def login_url(self, scope: Scope, host: str) -> str:
        """The gateway's login page on the configured domain (so its cookie covers every workspace host),
        coming back to the page that was asked for."""
        port = gateway_port_of(host)
        target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        back = f"http://{host}{target}"
        authority = self.gateway.domain + (f":{port}" if port is not None else "")
        return f"http://{authority}/login?next={quote(back, safe='')}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send,
                       target: WorkspaceTarget | InvalidInput) -> None:
        if scope["type"] == "websocket":
            connect = await receive()
            if connect["type"] != "websocket.connect":
                return
        if isinstance(target, InvalidInput):
            await deny(scope, receive, send, error_response(scope, 404, str(target)), 404)
            return
        doc = await self.gateway.workspaces.get(target.workspace_id)
        if doc is None:
            await deny(scope, receive, send,
                       error_response(scope, 404, f"there is no workspace {target.workspace_id!r}"), 404)
            return
        host = (header(scope["headers"], b"host") or b"").decode("latin-1")
        visibility = "private" if target.port is None else port_visibility(doc, target.port)
        identity = None
        if visibility != "public":
            identity = await self.gateway.authenticator.first_valid(presented(_decoded_headers(scope)))
        access = port_access(visibility, identity, str(doc["owner"]))
        if access is Access.UNAUTHENTICATED:
            login = self.login_url(scope, host)
            if scope["type"] == "http" and scope["method"] == "GET" and wants_html(scope):
                await login_redirect(login)(scope, receive, send)
                return
            await deny(scope, receive, send, error_response(
                scope, 401, "this port is private: log in as the workspace's owner, or send its token in "
                "'Authorization: Bearer' or 'X-Berth-Owner-Token'", login), 401)
            return
        if access is Access.FORBIDDEN:
            await deny(scope, receive, send, error_response(
                scope, 403, f"workspace {target.workspace_id!r} belongs to another user and this port is private"),
                403)
            return
        await self._forward(scope, receive, send, target, doc, host)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, target: WorkspaceTarget,
                       doc: dict[str, object], host: str) -> None:
        port = target.port if target.port is not None else self.gateway.ide_port
        phase, supervisor_port = doc.get("phase"), doc.get("supervisor_port")
        if phase not in REACHABLE_PHASES or not isinstance(supervisor_port, int):
            state = "was never started" if phase is None else f"is {phase}"
            reason = str(doc["reason"]) if doc.get("reason") else None
            # Only the owner may start it: a private port's visitor is the owner (checked above); a public
            # port's visitor is asked who they are.
            owner = target.port is None or port_visibility(doc, target.port) != "public" or getattr(
                await self.gateway.authenticator.first_valid(presented(_decoded_headers(scope))),
                "username", None) == str(doc["owner"])
            start = start_url(self.gateway.domain, gateway_port_of(host), target.workspace_id,
                              target.port) if owner else None
            await deny(scope, receive, send, not_running_response(
                scope, target.workspace_id, state, reason, port, start), 503)
            return
        authorization = bearer_token((header(scope["headers"], b"authorization") or b"").decode("latin-1"))
        client = scope.get("client")
        headers = upstream_request_headers(
            scope["headers"], upstream_host=f"127.0.0.1:{port}", original_host=host,
            client=client[0] if client else None, scheme="https" if scope["scheme"] in ("https", "wss") else "http",
            strip_authorization=authorization is not None and looks_like_token(authorization),
            websocket=scope["type"] == "websocket")
        try:
            tunnel = await open_tunnel(supervisor_port, port, token=supervisor_token(doc))
        except TunnelError as error:
            self.gateway.workspaces.invalidate(target.workspace_id)  # a restarted workspace has a new port
            await deny(scope, receive, send, error_response(scope, error.status, str(error)), error.status)
            return
        self.gateway.activity.touch(target.workspace_id, str(doc["instance_id"]))
        try:
            if scope["type"] == "websocket":
                await forward_websocket(scope, receive, send, tunnel, headers)
            else:
                await forward_http(scope, receive, send, tunnel, headers)
        except UpstreamRefused as refused:
            await deny(scope, receive, send, error_response(scope, refused.status, str(refused)), refused.status)
        except UpstreamFailed as error:
            await deny(scope, receive, send, error_response(scope, 502, str(error)), 502)
        finally:
            tunnel.close()
