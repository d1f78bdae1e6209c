"""Which headers cross the proxy (pure). Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one
connection and are dropped both ways; Berth's own credentials never reach workspace code, and workspace
code may not set Berth's session cookie (every workspace host shares the cookie's domain)."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.auth.credentials import OWNER_HEADER, SESSION_COOKIE, without_session_cookie

Headers = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"proxy-connection", b"te",
    b"trailer", b"transfer-encoding", b"upgrade",
})
# Set by the WebSocket client library for the upstream handshake; the browser's values are for uvicorn.
WEBSOCKET_HANDSHAKE = frozenset({
    b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions", b"sec-websocket-protocol",
    b"sec-websocket-accept", b"origin", b"user-agent",
})


def _connection_tokens(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    """Headers named in `Connection` are hop-by-hop too."""
    named: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            named.update(token.strip().lower() for token in value.split(b",") if token.strip())
    return named


def upstream_request_headers(raw: Iterable[tuple[bytes, bytes]], *, upstream_host: str, original_host: str,
                             client: str | None, scheme: str, strip_authorization: bool,
                             websocket: bool = False) -> Headers:
    """The headers to send to the service. `Host` is the upstream's own `127.0.0.1:<port>`: dev servers
    (webpack, vite, django) accept loopback hosts and reject unknown ones; the public host travels in
    `X-Forwarded-Host` for apps (code-server) that check Origin against it."""
    raw = list(raw)
    dropped = HOP_BY_HOP | _connection_tokens(raw) | {b"host", OWNER_HEADER.encode(), b"x-forwarded-for",
                                                       b"x-forwarded-host", b"x-forwarded-proto", b"forwarded"}
    if websocket:
        dropped |= WEBSOCKET_HANDSHAKE
    kept: Headers = []
    for name, value in raw:
        lowered = name.lower()
        if lowered in dropped or (strip_authorization and lowered == b"authorization"):
            continue
        if lowered == b"cookie":
            value = without_session_cookie(value.decode("latin-1")).encode("latin-1")
            if not value:
                continue
        kept.append((lowered, value))
    if not websocket:
        kept.insert(0, (b"host", upstream_host.encode()))
    kept += [(b"x-forwarded-host", original_host.encode("latin-1")), (b"x-forwarded-proto", scheme.encode())]
    if client:
        kept.append((b"x-forwarded-for", client.encode()))
    return kept


def downstream_response_headers(raw: Iterable[tuple[bytes, bytes]]) -> Headers:
    raw = list(raw)
    dropped = HOP_BY_HOP | _connection_tokens(raw)
    kept: Headers = []
    for name, value in raw:
        lowered = name.lower()
        if lowered in dropped:
            continue
        if lowered == b"set-cookie" and value.split(b"=", 1)[0].strip().decode("latin-1") == SESSION_COOKIE:
            continue
        kept.append((lowered, value))
    return kept


def header(raw: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in raw:
        if key.lower() == name:
            return value
    return None
