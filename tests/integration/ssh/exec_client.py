"""A minimal client of the supervisor's exec endpoint for tests (the gateway has its own)."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

HEADER = struct.Struct(">BI")


async def open_exec(port: int, spec: dict[str, Any]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """Returns the streams and the response head; the caller checks it says 101."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST /_berth/exec HTTP/1.1\r\nHost: x\r\nX-Berth-Exec: {json.dumps(spec)}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    return reader, writer, head


def frame(kind: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


async def collect(reader: asyncio.StreamReader) -> tuple[dict[int, bytes], int | None]:
    """Every frame's payload by type until EXIT (its code) or the end of the stream (None)."""
    out: dict[int, bytes] = {}
    while True:
        try:
            kind, length = HEADER.unpack(await reader.readexactly(HEADER.size))
            payload = await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            return out, None
        if kind == 5:
            return out, struct.unpack(">i", payload)[0]
        out[kind] = out.get(kind, b"") + payload
