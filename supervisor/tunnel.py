"""CONNECT tunnels: how the platform reaches a port inside the workspace.

Docker publishes only the supervisor's port (on the host's 127.0.0.1); the proxy, and later SSH
forwarding, send `CONNECT 127.0.0.1:<port> HTTP/1.1` and, after `200 Connection Established`,
speak whatever the port speaks (HTTP, WebSocket, raw TCP) over the same connection. Targets are
limited to loopback: the tunnel reaches the workspace's own ports, never the network beyond it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from supervisor.http import HttpError

log = logging.getLogger("tunnel")

CONNECT_TIMEOUT = 5.0
_CHUNK = 1 << 16
_LOOPBACK = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "[::1]": "::1"}
ESTABLISHED = b"HTTP/1.1 200 Connection Established\r\n\r\n"


def parse_target(target: str) -> tuple[str, int]:
    """`127.0.0.1:8080` → ("127.0.0.1", 8080); HttpError 400 for anything else."""
    host, colon, port_text = target.rpartition(":")
    if not colon or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise HttpError(400, f"CONNECT needs host:port with a port 1-65535, got {target[:200]!r}")
    if host not in _LOOPBACK:
        raise HttpError(400, f"CONNECT reaches only ports of this workspace (127.0.0.1), not {host[:200]!r}")
    return _LOOPBACK[host], int(port_text)


async def dial(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to the port inside the workspace; HttpError 502 saying why when nothing answers.

    A server listening only on IPv6 loopback (some dev servers bind "localhost" to ::1) is tried
    when 127.0.0.1 refuses, so "the port is open" means the same here as in the port list.
    """
    candidates = [host, "::1"] if host == "127.0.0.1" else [host]
    failures: list[str] = []
    for candidate in candidates:
        shown = f"[{candidate}]:{port}" if ":" in candidate else f"{candidate}:{port}"
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                return await asyncio.open_connection(candidate, port)
        except TimeoutError:
            failures.append(f"{shown} timed out after {CONNECT_TIMEOUT:g} s")
        except OSError as error:
            # asyncio's message repeats the address; the errno's text is the reason.
            failures.append(f"{shown} {os.strerror(error.errno) if error.errno else error}".lower())
    raise HttpError(502, f"nothing listens on port {port}: {'; '.join(failures)}")


async def splice(
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    on_traffic: Callable[[], None],
) -> None:
    """Copy bytes both ways until both directions ended. An end of one direction is passed on as a
    half-close (so request/response protocols that close their sending side still work); an error on
    either side ends both."""
    pumps = [
        asyncio.create_task(_pump(client[0], upstream[1], on_traffic)),
        asyncio.create_task(_pump(upstream[0], client[1], on_traffic)),
    ]
    try:
        done, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        if pending and any(task.exception() is not None for task in done):
            for task in pending:
                task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        for _, writer in (client, upstream):
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, on_traffic: Callable[[], None]) -> None:
    while data := await reader.read(_CHUNK):
        on_traffic()
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof() and not writer.is_closing():
        with contextlib.suppress(OSError):
            writer.write_eof()
