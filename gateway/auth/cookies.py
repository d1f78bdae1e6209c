"""The session cookie's attributes. Workspace hosts (`*.ws.<domain>`) must receive the cookie too, so it
is scoped to the configured domain whenever the login happened on that domain or below it; on any other
host (an IP address such as 127.0.0.1) it stays host-only, since a Domain attribute there is rejected."""

from __future__ import annotations

from dataclasses import dataclass

SESSION_DAYS = 14


def host_without_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def cookie_domain(request_host: str, domain: str) -> str | None:
    host, domain = host_without_port(request_host), domain.strip(".").lower()
    if host == domain or host.endswith("." + domain):
        return domain
    return None


@dataclass(frozen=True, slots=True)
class CookieSpec:
    """Everything `Response.set_cookie` needs besides the value."""

    domain: str | None
    max_age: int = SESSION_DAYS * 24 * 3600
    httponly: bool = True
    samesite: str = "lax"
    path: str = "/"


def session_cookie(request_host: str, domain: str) -> CookieSpec:
    return CookieSpec(domain=cookie_domain(request_host, domain))
