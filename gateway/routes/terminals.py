"""A workspace's task terminals (kept by its supervisor, see supervisor/terminals.py): list, attach over a
WebSocket, write, resize. Owner only; everyone else gets 404, as for the workspace itself.

WebSocket `/api/workspaces/{id}/terminals/{index}`: binary messages to the client are the terminal's output
(its scrollback first, then live); a text message `{"exit": code}` follows when the task ended, then the
socket closes (1000). From the client: binary (or any other text) messages are input; a text message that is
the JSON object `{"resize": [rows, cols]}` resizes the terminal. Closing the socket only detaches: the task
keeps running. Errors before the handshake completes are problem+json denial responses (404, 409, 503...).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from domain.errors import BerthError, TemporaryError
from gateway import terminals_client
from gateway.auth.decisions import is_cross_site_write
from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Reply, problem_reply
from gateway.params import int_param
from gateway.problems import Forbidden, problem, problem_of
from gateway.proxy.app import supervisor_token
from gateway.ssh.exec_client import EXIT, STDIN, STDOUT, ExecStream
from gateway.workspaces.service import WorkspaceService

_NOT_FOUND = problem_reply(404, "No such workspace or terminal, or not yours.")
_NOT_RUNNING = problem_reply(503, "The workspace is not running, so its supervisor cannot be asked.")
_MAX_SIZE = 10_000
_TERMINAL_SCHEMA = {"type": "object", "properties": {
    "index": {"type": "integer"}, "name": {"type": ["string", "null"]}, "phase": {"type": "string"},
    "rows": {"type": "integer"}, "cols": {"type": "integer"}, "pid": {"type": ["integer", "null"]},
    "open": {"type": "boolean"}, "attached": {"type": "integer"}}}


class _TerminalRoute(Route):
    """GET at the terminal's path: the WebSocket when it is a handshake, else 426 (as problem+json)."""

    def __init__(self, path: str, http: Any, websocket: Any, name: str) -> None:
        super().__init__(path, http, methods=["GET"], name=name)
        self._websocket = WebSocketRoute(path, websocket, name=name)

    def matches(self, scope: Scope) -> Any:
        if scope["type"] == "websocket":
            return self._websocket.matches(scope)
        return super().matches(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket.handle(scope, receive, send)
        else:
            await super().handle(scope, receive, send)


def endpoints(gw: Gateway) -> list[Endpoint]:
    service = WorkspaceService(gw.store, gw.codec, gw.views)

    async def supervisor_of(connection: Request | WebSocket) -> tuple[int, str | None]:
        identity = await gw.require(connection)
        if connection.scope["type"] == "websocket" and is_cross_site_write(
                "POST", connection.headers.get("origin"), connection.headers.get("host")):
            # A handshake carries cookies like a GET but is as powerful as a POST: check its Origin.
            raise Forbidden("a cross-site WebSocket may not attach to a terminal")
        workspace_id = connection.path_params["workspace_id"]
        doc = await service.get(identity, workspace_id)  # 404 for what is not the caller's
        supervisor_port = doc.get("supervisor_port")
        if not isinstance(supervisor_port, int) or doc.get("phase") in (None, "stopped", "failed"):
            raise TemporaryError(f"workspace {workspace_id!r} is {doc.get('phase') or 'not started'}: "
                                 "its terminals are kept by its running supervisor")
        return supervisor_port, supervisor_token(doc)

    async def list_terminals(request: Request) -> Response:
        port, token = await supervisor_of(request)
        return JSONResponse(await terminals_client.list_terminals(port, token))

    async def write_terminal(request: Request) -> Response:
        port, token = await supervisor_of(request)
        await terminals_client.write(port, token, request.path_params["index"], await request.body())
        return Response(status_code=204)

    async def resize_terminal(request: Request) -> Response:
        port, token = await supervisor_of(request)
        rows = int_param(request, "rows", 0, 1, _MAX_SIZE)
        cols = int_param(request, "cols", 0, 1, _MAX_SIZE)
        if not rows or not cols:
            return problem(422, "Invalid input", "send rows and cols (1-10000)", field="rows" if not rows else "cols")
        await terminals_client.resize(port, token, request.path_params["index"], rows, cols)
        return Response(status_code=204)

    async def terminal_not_websocket(_: Request) -> Response:
        return problem(426, "Upgrade Required", "open this terminal as a WebSocket", {"Upgrade": "websocket"})

    async def terminal_socket(websocket: WebSocket) -> None:
        try:
            port, token = await supervisor_of(websocket)
            stream = await terminals_client.attach(port, token, websocket.path_params["index"])
        except BerthError as error:
            await _deny(websocket, problem_of(error))
            return
        try:
            await websocket.accept()
            await _bridge(websocket, stream)
        finally:
            stream.close()

    one = "/api/workspaces/{workspace_id}/terminals"
    return [
        Endpoint(one, "GET", list_terminals, Operation(
            "The workspace's task terminals", "workspaces",
            (Reply(200, "One entry per task.", {"type": "array", "items": _TERMINAL_SCHEMA}), _NOT_FOUND,
             _NOT_RUNNING))),
        _TerminalEndpoint(one + "/{index:int}", "GET", terminal_not_websocket, Operation(
            "Attach to a task's terminal (WebSocket)", "workspaces",
            (Reply(101, "Binary messages: output (scrollback first); a text `{\"exit\": code}` when the task "
                        "ended. Send binary input, or text `{\"resize\": [rows, cols]}`.", None),
             problem_reply(426, "Not a WebSocket handshake."), _NOT_FOUND, _NOT_RUNNING)),
            websocket=terminal_socket),
        Endpoint(one + "/{index:int}/write", "POST", write_terminal, Operation(
            "Type the body into a task's terminal", "workspaces",
            (Reply(204, "Written."), _NOT_FOUND, problem_reply(409, "The terminal is not open (task not started "
                                                                       "or ended)."), _NOT_RUNNING),
            body={"type": "string", "contentMediaType": "application/octet-stream"},
            body_media_types=("application/octet-stream",))),
        Endpoint(one + "/{index:int}/resize", "POST", resize_terminal, Operation(
            "Resize a task's terminal", "workspaces",
            (Reply(204, "Resized; the task got SIGWINCH."), _NOT_FOUND, problem_reply(409, "The terminal is not open."),
             problem_reply(422, "A bad size."), _NOT_RUNNING))),
    ]


@dataclass(frozen=True, slots=True)
class _TerminalEndpoint(Endpoint):
    """An endpoint whose route also takes the WebSocket handshake at its path."""

    websocket: Any = None

    def route(self) -> Route:
        return _TerminalRoute(self.path, self.handler, self.websocket, self.handler.__name__)


async def _deny(websocket: WebSocket, answer: JSONResponse) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(answer)
    else:
        await websocket.close(code=1008, reason=str(answer.status_code))


async def _bridge(websocket: WebSocket, stream: ExecStream) -> None:
    async def downstream() -> None:
        while (got := await stream.next_frame()) is not None:
            kind, payload = got
            if kind == STDOUT:
                await websocket.send_bytes(payload)
            elif kind == EXIT and len(payload) == 4:
                await websocket.send_text(json.dumps({"exit": struct.unpack(">i", payload)[0]}))

    async def upstream() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data: bytes | None = message.get("bytes")
            text: str | None = message.get("text")
            if text is not None:
                size = _resize_of(text)
                if size is not None:
                    stream.resize(*size)
                    await stream.writer.drain()
                    continue
                data = text.encode()
            if data:
                stream.send(STDIN, data)
                await stream.writer.drain()

    tasks = [asyncio.create_task(downstream()), asyncio.create_task(upstream())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if tasks[0] in done:
            with contextlib.suppress(Exception):
                await websocket.close(code=1000)
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _resize_of(text: str) -> tuple[int, int] | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    size = document.get("resize") if isinstance(document, dict) else None
    if (isinstance(size, list) and len(size) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= _MAX_SIZE for n in size)):
        return size[0], size[1]
    return None

