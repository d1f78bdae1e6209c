"""Plain HTTP/1.1 over a tunnel (h11 frames it), streamed both ways: request body chunks go upstream as they
arrive, response chunks go to the client as they arrive, so uploads, downloads and long polls never sit
whole in memory."""

from __future__ import annotations

import asyncio
import contextlib

import h11
from starlette.types import Message, Receive, Scope, Send

from gateway.proxy.headers import Headers, downstream_response_headers, header
from gateway.proxy.tunnel import Tunnel, TunnelError

_READ = 64 * 1024


class UpstreamFailed(TunnelError):
    """The service broke the connection before answering."""


def request_target(scope: Scope) -> bytes:
    path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return path + b"?" + query if query else path


def framed(headers: Headers, original: Headers) -> Headers:
    """Keep Content-Length; a chunked request body is re-chunked (Transfer-Encoding is hop-by-hop)."""
    if header(original, b"content-length") is None and header(original, b"transfer-encoding") is not None:
        return [*headers, (b"transfer-encoding", b"chunked")]
    return headers


async def forward_http(scope: Scope, receive: Receive, send: Send, tunnel: Tunnel, headers: Headers) -> None:
    reader, writer = await asyncio.open_connection(sock=tunnel.sock, limit=_READ)
    connection = h11.Connection(h11.CLIENT)
    try:
        headers = framed(headers, list(scope["headers"]))
        writer.write(connection.send(h11.Request(method=scope["method"], target=request_target(scope),
                                                 headers=headers)))
        if tunnel.leftover:
            connection.receive_data(tunnel.leftover)
        requesting = asyncio.create_task(_pump_request(receive, writer, connection))
        responding = asyncio.create_task(_pump_response(send, reader, connection, tunnel.port))
        done, _ = await asyncio.wait({requesting, responding}, return_when=asyncio.FIRST_COMPLETED)
        # The response is complete, or the client went away (then nobody wants the rest of it).
        for task in (requesting, responding):
            if task not in done:
                task.cancel()
        await asyncio.gather(requesting, responding, return_exceptions=True)
        if responding in done:
            responding.result()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _pump_request(receive: Receive, writer: asyncio.StreamWriter, connection: h11.Connection) -> None:
    """Send the body upstream, then wait for the client to disconnect (returning means it did)."""
    sending = True
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
        if message["type"] != "http.request" or not sending:
            continue
        try:
            body = message.get("body", b"")
            if body:
                writer.write(connection.send(h11.Data(data=body)))
            if not message.get("more_body", False):
                writer.write(connection.send(h11.EndOfMessage()))
                sending = False
            await writer.drain()  # back-pressure: a slow upstream slows the upload instead of filling memory
        except (OSError, h11.LocalProtocolError):
            # The service stopped reading (it may already be answering, e.g. 413): its response decides.
            sending = False


async def _pump_response(send: Send, reader: asyncio.StreamReader, connection: h11.Connection, port: int) -> None:
    started = False
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            if not started:
                raise UpstreamFailed(f"the service on port {port} sent an invalid HTTP response: {error}") from None
            event = h11.ConnectionClosed()  # mid-body: end what the client got; nothing better can be said
        if event is h11.NEED_DATA:
            try:
                data = await reader.read(_READ)
            except OSError:
                data = b""
            connection.receive_data(data)
        elif isinstance(event, h11.InformationalResponse):
            continue  # 100 Continue and friends concern this hop only
        elif isinstance(event, h11.Response):
            await send({"type": "http.response.start", "status": event.status_code,
                        "headers": downstream_response_headers(event.headers.raw_items())})
            started = True
        elif isinstance(event, h11.Data):
            await send({"type": "http.response.body", "body": bytes(event.data), "more_body": True})
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            if not started:
                raise UpstreamFailed(f"the service on port {port} closed the connection without answering")
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
