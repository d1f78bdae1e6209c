"""Just enough HTTP/1.1 for the supervisor's endpoint: read one request head, write one response.

The supervisor must stay stdlib-only (it ships as a small self-contained executable into
every container), and its clients are Berth's own node agent and proxy, so one request per connection
(`Connection: close`) and no request bodies beyond a bounded `Content-Length` are enough.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_HEAD_BYTES = 32 * 1024
MAX_BODY_BYTES = 64 * 1024
HEAD_TIMEOUT = 10.0
"""Seconds a client has to send its request head; a silent connection is closed."""


class HttpError(Exception):
    """Answer with `status` and `reason` as the plain-text body."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    """As sent: a path with a query for most methods, `host:port` for CONNECT."""
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names; a repeated header keeps its last value."""


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request head (and its ignored body); None when the client closed without sending one."""
    try:
        async with asyncio.timeout(HEAD_TIMEOUT):
            head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial.strip():
            return None
        raise HttpError(400, "the request head ended early") from None
    except asyncio.LimitOverrunError:
        raise HttpError(431, f"the request head is larger than {MAX_HEAD_BYTES} bytes") from None
    except TimeoutError:
        raise HttpError(408, f"no complete request head within {HEAD_TIMEOUT:g} s") from None
    request = parse_head(head)
    await _skip_body(reader, request.headers)
    return request


def parse_head(head: bytes) -> Request:
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        raise HttpError(400, "the request head is not ASCII") from None
    request_line, *header_lines = text[: -len("\r\n\r\n")].split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, f"malformed request line {request_line[:200]!r}")
    method, target, _ = parts
    headers: dict[str, str] = {}
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HttpError(400, f"malformed header line {line[:200]!r}")
        headers[name.lower()] = value.strip()
    if method == "CONNECT":
        return Request(method, target, "", {}, headers)
    if not target.startswith("/"):
        raise HttpError(400, f"the request target must be a path, got {target[:200]!r}")
    split = urlsplit(target)
    try:
        query = dict(parse_qsl(split.query, keep_blank_values=True, strict_parsing=bool(split.query)))
    except ValueError:
        raise HttpError(400, f"malformed query {split.query[:200]!r}") from None
    return Request(method, target, unquote(split.path), query, headers)


async def _skip_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
    if "transfer-encoding" in headers:
        raise HttpError(400, "request bodies must have a Content-Length (no Transfer-Encoding)")
    length_text = headers.get("content-length", "0")
    if not length_text.isdigit():
        raise HttpError(400, f"malformed Content-Length {length_text[:50]!r}")
    length = int(length_text)
    if length > MAX_BODY_BYTES:
        raise HttpError(413, f"request bodies are limited to {MAX_BODY_BYTES} bytes")
    if length:
        try:
            await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            raise HttpError(400, "the request body ended early") from None


def response(
    status: int,
    body: bytes = b"",
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> bytes:
    phrase = HTTPStatus(status).phrase
    lines = [
        f"HTTP/1.1 {status} {phrase}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Cache-Control: no-store",
        "Connection: close",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_response(status: int, document: object, headers: dict[str, str] | None = None) -> bytes:
    return response(status, json.dumps(document).encode() + b"\n", "application/json", headers)


def error_response(error: HttpError) -> bytes:
    return response(error.status, error.reason.encode() + b"\n", headers=error.headers)
