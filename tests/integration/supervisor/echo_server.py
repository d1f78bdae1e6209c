"""A raw TCP echo server, run as a workspace task: what a WebSocket or SSH stream looks like to the
tunnel (bytes both ways on a long-lived connection, no HTTP). Usage: echo_server.py <port>."""

from __future__ import annotations

import asyncio
import sys


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.write(b"bye\n")  # proves the half-close reached us and we can still answer
    writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", port)
    print(f"echo server on {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
