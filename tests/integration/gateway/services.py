"""Real loopback servers behind the proxy in tests: a CONNECT tunnel endpoint playing the supervisor's part,
an HTTP service and a WebSocket echo service playing what a workspace runs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from tests.integration.gateway.conftest import free_port, serving


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.write_eof()


@dataclass
class ConnectServer:
    """CONNECT 127.0.0.1:<port> -> 200 and a byte pipe, or 502 with the reason, like the supervisor."""

    port: int = 0
    tunnels: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ")
            host, _, port = target.rpartition(":")
            assert method == "CONNECT" and host == "127.0.0.1", head
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", int(port))
            except OSError as error:
                reason = f"connecting to 127.0.0.1:{port} failed: {error.strerror}".encode()
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: "
                             + str(len(reason)).encode() + b"\r\nConnection: close\r\n\r\n" + reason)
                await writer.drain()
                return
            self.tunnels += 1
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
            upstream_writer.close()
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def connect_server() -> AsyncIterator[ConnectServer]:
    tunnel = ConnectServer()
    server = await asyncio.start_server(tunnel.handle, "127.0.0.1", 0)
    tunnel.port = server.sockets[0].getsockname()[1]
    try:
        yield tunnel
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await server.wait_closed()


@dataclass
class HttpService:
    port: int
    seen: list[dict[str, object]] = field(default_factory=list)
    go_on: asyncio.Event = field(default_factory=asyncio.Event)


def http_app(service: HttpService) -> Starlette:
    async def hello(request: Request) -> Response:
        seen: dict[str, object] = {"path": request.url.path, "query": request.url.query,
                                   "headers": dict(request.headers)}
        service.seen.append(seen)
        return JSONResponse(seen, headers={"X-Service": "hello"})

    async def upload(request: Request) -> Response:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.stream():
            digest.update(chunk)
            size += len(chunk)
        return JSONResponse({"size": size, "sha256": digest.hexdigest()})

    async def stream(_: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first\n"
            await service.go_on.wait()  # only once the client has the first chunk: proves nothing buffers it
            yield b"second\n"
        return StreamingResponse(chunks(), media_type="text/plain")

    async def cookie(_: Request) -> Response:
        response = Response("ok")
        response.set_cookie("berth_session", "berth_planted_by_workspace_code", domain="localhost")
        response.set_cookie("app", "1")
        return response

    return Starlette(routes=[Route("/hello", hello), Route("/upload", upload, methods=["POST"]),
                             Route("/stream", stream), Route("/cookie", cookie)])


@contextlib.asynccontextmanager
async def http_service() -> AsyncIterator[HttpService]:
    service = HttpService(free_port())
    async with serving(http_app(service), service.port):
        yield service


async def _echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)
    await connection.close()


@contextlib.asynccontextmanager
async def websocket_echo() -> AsyncIterator[int]:
    async with serve(_echo, "127.0.0.1", 0, subprotocols=[Subprotocol("echo.v1")]) as server:
        port: int = next(iter(server.sockets)).getsockname()[1]
        yield port


def json_body(raw: bytes) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(raw)
    return loaded
