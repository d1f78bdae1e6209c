"""Where a login may send the browser afterwards: back into Berth only, never to another site (an open
redirect would let a phishing link borrow Berth's name)."""

from __future__ import annotations

from urllib.parse import urlsplit

from gateway.auth.cookies import host_without_port


def safe_next(target: str | None, domain: str, request_host: str) -> str:
    if not target:
        return "/"
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "/"
    host, domain = parts.hostname.lower(), domain.strip(".").lower()
    if host == domain or host.endswith("." + domain) or host == host_without_port(request_host):
        return target
    return "/"
