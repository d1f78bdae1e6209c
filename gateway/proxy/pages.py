"""What the proxy answers when it cannot forward: an HTML page for browsers, problem+json for the rest,
and for a WebSocket the same response through the denial extension (or a close code without it)."""

from __future__ import annotations

import html

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
