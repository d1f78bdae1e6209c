"""Logging in and out: `POST /api/login` trades a token, or a username and password, for a session cookie.

The cookie holds a session token of its own (a `user.token_issued` named `session`, expiring), never the
token that was presented: logging out revokes just the session, and a leaked cookie dies with it.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from datetime import timedelta
from functools import cache

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from domain.envelope import Cause
from domain.errors import InvalidInput
from domain.users.decider import RevokeToken, UserDecider
from domain.users.names import Role, user_stream
from domain.users.passwords import hash_password, verify_password
from gateway.aggregates import execute
from gateway.auth.cookies import SESSION_DAYS, session_cookie
from gateway.auth.credentials import SESSION_COOKIE, Presented
from gateway.auth.decisions import is_cross_site_write
from gateway.auth.identity import Identity, Via
from gateway.auth.redirects import safe_next
from gateway.auth.tokens import issue_token
from gateway.bodies import object_body, only_fields, string_field
from gateway.context import Gateway
from gateway.dashboard.assets import asset
from gateway.dashboard.page import login_headers
from gateway.openapi.operation import Endpoint, Operation, Reply, problem_reply, ref
from gateway.problems import Forbidden, Unauthorized

SESSION_TOKEN_NAME = "session"
_WRONG = "wrong username or password"


@cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so a wrong username costs as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16), secrets.token_bytes(16))


def login_page(next_url: str, error: str | None = None) -> str:
    """The dashboard's own stylesheet (by its hashed URL), so the first page a new user sees looks like Berth."""
    stylesheet = asset("dashboard.css")
    assert stylesheet is not None, "the dashboard's assets ship with the package"
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Berth: log in</title>'
        f'<link rel="stylesheet" href="{html.escape(stylesheet.url)}"></head><body>'
        '<header class="top"><h1>Berth</h1></header>'
        '<main><section class="panel login" aria-labelledby="login-heading">'
        f'<h2 id="login-heading">Log in to Berth</h2>{message}'
        '<form method="post" action="/api/login">'
        f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
        '<p><label>Username <input type="text" name="username" autocomplete="username"></label></p>'
        '<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>'
        '<p class="muted">or</p>'
        '<p><label>Token <input name="token" type="password" placeholder="berth_…"></label></p>'
        '<p><button type="submit" class="primary">Log in</button></p></form></section></main></body></html>'
    )


def endpoints(gw: Gateway) -> list[Endpoint]:
    async def check_password(username: str, password: str) -> Identity:
        user = await gw.authenticator.user(username)
        stored = user.get("password_hash") if user is not None else None
        matches = await asyncio.to_thread(verify_password, password, stored or _dummy_hash())
        if user is None or stored is None or not matches or user["blocked"]:
            raise Unauthorized(_WRONG)
        return Identity(username=user["username"], role=Role(user["role"]), token_id="", via=Via.COOKIE)

    async def login(request: Request) -> Response:
        if is_cross_site_write("POST", request.headers.get("origin"), request.headers.get("host")):
            raise Forbidden("a login form of another site may not log in here")
        is_form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        body = await object_body(request, allow_form=True)
        only_fields(body, "token", "username", "password", "next")
        next_url = safe_next(string_field(body, "next"), gw.domain, request.headers.get("host", ""))
        token, username = string_field(body, "token"), string_field(body, "username")
        try:
            if token:
                identity = await gw.authenticator.identify(Presented(token, Via.BEARER))
                if identity is None:
                    raise Unauthorized("the token is not valid (revoked, expired, or of a blocked user)")
            elif username:
                identity = await check_password(username, string_field(body, "password") or "")
            else:
                raise InvalidInput("send a token, or a username and password", field="token")
        except Unauthorized as error:
            if is_form:
                return HTMLResponse(login_page(next_url, str(error)), status_code=401,
                                    headers=login_headers(gw.domain))
            raise
        session = await issue_token(gw.store, gw.codec, identity.username, SESSION_TOKEN_NAME,
                                    Cause(identity.username), lifetime=timedelta(days=SESSION_DAYS))
        response: Response
        if is_form:
            response = RedirectResponse(next_url, status_code=303)
        else:
            response = JSONResponse({"username": identity.username, "role": identity.role.value,
                                     "expires_at": session.expires_at})
        spec = session_cookie(request.headers.get("host", ""), gw.domain)
        response.set_cookie(SESSION_COOKIE, session.token, max_age=spec.max_age, domain=spec.domain,
                            path=spec.path, httponly=spec.httponly, samesite="lax")
        return response

    async def logout(request: Request) -> Response:
        identity = await gw.require(request)
        if identity.via is Via.COOKIE:
            await execute(gw.store, gw.codec, user_stream(identity.username), UserDecider(),
                          RevokeToken(identity.token_id), Cause(identity.username))
            await gw.authenticator.refresh()  # the session is dead for the very next request
        response = Response(status_code=204)
        spec = session_cookie(request.headers.get("host", ""), gw.domain)
        response.delete_cookie(SESSION_COOKIE, domain=spec.domain, path=spec.path, httponly=True, samesite="lax")
        return response

    async def login_form(request: Request) -> Response:
        return HTMLResponse(login_page(safe_next(request.query_params.get("next"), gw.domain,
                                                 request.headers.get("host", ""))),
                            headers=login_headers(gw.domain))

    return [
        Endpoint("/login", "GET", login_form, None),
        Endpoint("/api/login", "POST", login, Operation(
            "Log in with a token or a username and password; sets the berth_session cookie", "auth",
            (Reply(200, "Logged in (JSON body); the cookie is set.", ref("User")),
             Reply(303, "Logged in (form body); redirected to `next`."),
             problem_reply(401, "Wrong credentials."), problem_reply(403, "A cross-site login form."),
             problem_reply(422, "Neither a token nor a username was sent.")),
            body=ref("Login"), body_media_types=("application/json", "application/x-www-form-urlencoded"),
            public=True,
            description="The cookie is HttpOnly, SameSite=Lax, and scoped to the configured domain when the "
                        "login happened on it, so it also reaches every `*.ws.<domain>` workspace host.")),
        Endpoint("/api/logout", "POST", logout, Operation(
            "Revoke the current session and clear its cookie", "auth", (Reply(204, "Logged out."),))),
    ]
