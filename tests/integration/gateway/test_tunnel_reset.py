"""A supervisor endpoint that accepts and then resets (Docker's port publisher does so while the container
is not listening yet) is a workspace that cannot be reached now, answered with 502, not a proxy crash."""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest

from gateway.proxy.tunnel import SupervisorUnreachable, open_tunnel


async def test_a_reset_during_connect_is_an_unreachable_supervisor() -> None:
    async def reset(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        # Linger 0: close() sends RST instead of FIN, as a publisher with nothing behind it does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(SupervisorUnreachable, match=r"reset|closed") as raised:
            await open_tunnel(port, 8000, timeout=5)
        assert raised.value.status == 502
    finally:
        server.close()
        await server.wait_closed()
