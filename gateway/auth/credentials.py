"""Where a request may carry a token: `Authorization: Bearer`, `X-Berth-Owner-Token`, the session cookie."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.auth.identity import Via

SESSION_COOKIE = "berth_session"
OWNER_HEADER = "x-berth-owner-token"


@dataclass(frozen=True, slots=True)
class Presented:
    token: str
    via: Via


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def cookie_value(cookie_header: str | None, name: str = SESSION_COOKIE) -> str | None:
    """A plain split, not http.cookies: SimpleCookie silently drops every cookie after one it cannot parse,
    so another site's malformed cookie on the shared domain would hide ours."""
    if not cookie_header:
        return None
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value.strip('"')
    return None


def presented(headers: Iterable[tuple[str, str]]) -> list[Presented]:
    """Every token the request carries, in the order they are tried (lowercase header names expected)."""
    found: list[Presented] = []
    cookies: list[str] = []
    for name, value in headers:
        if name == "authorization" and (token := bearer_token(value)) is not None:
            found.append(Presented(token, Via.BEARER))
        elif name == OWNER_HEADER and value.strip():
            found.append(Presented(value.strip(), Via.OWNER_HEADER))
        elif name == "cookie":
            cookies.append(value)
    session = cookie_value("; ".join(cookies)) if cookies else None
    if session is not None:
        found.append(Presented(session, Via.COOKIE))
    return found


def without_session_cookie(cookie_header: str) -> str:
    """The Cookie header minus ours: workspace code must never see a Berth session (it could reuse it)."""
    kept = [part.strip() for part in cookie_header.split(";")
            if part.strip() and part.strip().partition("=")[0] != SESSION_COOKIE]
    return "; ".join(kept)
