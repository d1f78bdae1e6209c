"""What the proxy answers when it cannot forward: an HTML page for browsers, problem+json for the rest,
and for a WebSocket the same response through the denial extension (or a close code without it)."""

from __future__ import annotations

import html
from urllib.parse import quote

from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from gateway.problems import problem

_TITLES = {401: "Log in to reach this workspace", 403: "This workspace is not yours", 404: "No such workspace",
           502: "The workspace did not answer", 503: "The workspace is not running"}
# Close codes for clients whose server cannot deny an upgrade with an HTTP response.
_CLOSE = {401: 4401, 403: 4403, 404: 4404}


def wants_html(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept":
            return b"text/html" in value
    return False


def error_response(scope: Scope, status: int, detail: str, login_url: str | None = None) -> Response:
    title = _TITLES.get(status, "Proxy error")
    if not wants_html(scope):
        return problem(status, title, detail)
    login = f'<p><a href="{html.escape(login_url)}">Log in</a></p>' if login_url else ""
    return HTMLResponse(
        "<!doctype html><html><head><meta charset=utf-8><title>Berth: "
        f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(detail)}</p>{login}</body></html>", status_code=status)


def start_url(domain: str, gateway_port: int | None, workspace_id: str, port: int | None) -> str:
    """The dashboard's page of the workspace on the gateway's own host, asked to offer starting it (`start=1`)
    and, for a port host, to come back to that port (`port=`) once it runs. A page on the workspace host
    cannot POST to the API itself (cross-site writes are refused), so it links there instead."""
    authority = domain + (f":{gateway_port}" if gateway_port is not None else "")
    back = "" if port is None else f"&port={port}"
    return f"http://{authority}/workspaces/{quote(workspace_id, safe='')}?start=1{back}"


def not_running_response(scope: Scope, workspace_id: str, state: str, reason: str | None, port: int,
                         start: str | None) -> Response:
    """503 for a workspace that is not running. A browser gets a page saying so, with the reason, and (for
    the owner, who alone may start it) a link to the dashboard that starts it and comes back here."""
    detail = f"workspace {workspace_id!r} {state}{f' ({reason})' if reason else ''}: start it to reach port {port}"
    if not wants_html(scope):
        return problem(503, _TITLES[503], detail)
    why = f"<p class=reason>Reason: {html.escape(reason)}</p>" if reason else ""
    action = (f'<p><a href="{html.escape(start)}" id=start>Start workspace</a></p>' if start else
              "<p>Only its owner can start it.</p>")
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>Berth: {html.escape(workspace_id)} {html.escape(state)}</title></head><body>"
        f"<h1>{html.escape(_TITLES[503])}</h1>"
        f"<p>Workspace <strong>{html.escape(workspace_id)}</strong> {html.escape(state)}.</p>{why}{action}"
        "</body></html>", status_code=503, headers={"Cache-Control": "no-store"})


def login_redirect(login_url: str) -> Response:
    # 303 keeps the method out of it: the login page is always fetched with GET.
    return RedirectResponse(login_url, status_code=303)


async def deny(scope: Scope, receive: Receive, send: Send, response: Response, status: int) -> None:
    if scope["type"] == "http":
        await response(scope, receive, send)
    elif "websocket.http.response" in scope.get("extensions", {}):
        await response(scope, receive, send)  # Starlette turns it into websocket.http.response.* messages
    else:
        await send({"type": "websocket.close", "code": _CLOSE.get(status, 1011)})
