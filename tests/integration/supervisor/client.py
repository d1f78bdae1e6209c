"""A raw HTTP client for the supervisor's endpoint: plain sockets, so the tests see exactly the bytes
the supervisor sends (status line, headers, the CONNECT handshake) with nothing in between."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


async def request(
    port: int,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    host: str = "127.0.0.1",
    timeout: float = 30.0,
) -> Reply:
    """One request; the supervisor closes the connection after its answer, which ends the body."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            head = f"{method} {target} HTTP/1.1\r\nHost: supervisor\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
            writer.write(head.encode() + b"\r\n")
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return parse_reply(raw)


def parse_reply(raw: bytes) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    assert status_line.startswith("HTTP/1.1 "), status_line
    return Reply(int(status_line.split(" ")[1]), headers, body)


async def status(port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    reply = await request(port, "GET", "/_berth/status", host=host)
    assert reply.status == 200, reply
    document: dict[str, Any] = reply.json()
    return document


@contextlib.asynccontextmanager
async def tunnel(
    port: int, target: str, host: str = "127.0.0.1"
) -> AsyncIterator[tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]]:
    """`CONNECT target` through the supervisor; yields the answer's head and the connection."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        await writer.drain()
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
        yield head, reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def http_get_through(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> bytes:
    """An HTTP/1.0 GET over an established tunnel (the server closes after answering)."""
    writer.write(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    await writer.drain()
    async with asyncio.timeout(10):
        return await reader.read()
