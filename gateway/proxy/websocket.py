"""WebSocket over a tunnel: the client's upgrade is accepted in ASGI only once the service accepted ours
(so a refused upgrade is answered with the service's status), then frames are pumped both ways as they
come, text as text and binary as binary, and a close on either side closes the other with its code."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin, Subprotocol

from gateway.proxy.headers import Headers, header
from gateway.proxy.http import UpstreamFailed, request_target
from gateway.proxy.tunnel import Tunnel

OPEN_TIMEOUT = 10.0
# Codes a close frame may carry; 1005/1006/1015 only describe what happened (RFC 6455 section 7.4.1).
_UNSENDABLE = {1005: 1000, 1006: 1011, 1015: 1011}


class UpstreamRefused(UpstreamFailed):
    """The service answered the upgrade with an HTTP status instead of 101."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def sendable(code: int | None) -> int:
    if code is None:
        return 1000
    return _UNSENDABLE.get(code, code)


async def open_upstream(scope: Scope, tunnel: Tunnel, headers: Headers) -> ClientConnection:
    original = list(scope["headers"])
    origin = header(original, b"origin")
    user_agent = header(original, b"user-agent")
    uri = f"ws://127.0.0.1:{tunnel.port}{request_target(scope).decode('latin-1')}"
    try:
        return await connect(
            uri, sock=tunnel.sock, proxy=None,
            subprotocols=[Subprotocol(p) for p in scope.get("subprotocols", [])] or None,
            origin=Origin(origin.decode("latin-1")) if origin else None,
            user_agent_header=user_agent.decode("latin-1") if user_agent else None,
            additional_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
            # A proxy neither compresses (the browser and uvicorn negotiate that) nor limits sizes or
            # pings: the two ends do, and a proxy that did would break what they agreed on.
            compression=None, max_size=None, ping_interval=None, open_timeout=OPEN_TIMEOUT, close_timeout=2,
        )
    except InvalidStatus as refused:
        status = refused.response.status_code
        raise UpstreamRefused(f"the service on port {tunnel.port} refused the WebSocket upgrade "
                              f"(HTTP {status})", status) from None
    except (OSError, InvalidHandshake, TimeoutError) as error:
        raise UpstreamFailed(f"the WebSocket handshake with the service on port {tunnel.port} failed: "
                             f"{error}") from None


async def forward_websocket(scope: Scope, receive: Receive, send: Send, tunnel: Tunnel, headers: Headers) -> None:
    """Called after the client's `websocket.connect` was received; raises UpstreamFailed before accepting."""
    upstream = await open_upstream(scope, tunnel, headers)
    try:
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
        inbound = asyncio.create_task(_client_to_upstream(receive, upstream))
        outbound = asyncio.create_task(_upstream_to_client(send, upstream))
        _, pending = await asyncio.wait({inbound, outbound}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(inbound, outbound, return_exceptions=True)
    finally:
        with contextlib.suppress(Exception):
            await upstream.close()


async def _client_to_upstream(receive: Receive, upstream: ClientConnection) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.receive":
            text = message.get("text")
            try:
                await upstream.send(text if text is not None else message.get("bytes") or b"")
            except ConnectionClosed:
                return
        elif message["type"] == "websocket.disconnect":
            with contextlib.suppress(ConnectionClosed):
                await upstream.close(sendable(message.get("code")), message.get("reason") or "")
            return


async def _upstream_to_client(send: Send, upstream: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for message in upstream:
            if isinstance(message, str):
                await send({"type": "websocket.send", "text": message})
            else:
                await send({"type": "websocket.send", "bytes": message})
    received = upstream.protocol.close_rcvd
    code = received.code if received is not None else 1011
    await send({"type": "websocket.close", "code": sendable(code),
                "reason": received.reason if received is not None else "the service went away"})
