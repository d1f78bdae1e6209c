"""The supervisor's one HTTP endpoint (the full contract is in `supervisor.main`):

GET  /_berth/status                      the workspace's state as JSON
GET  /_berth/tasks/<index>/log?offset=N  a task's output from byte N (X-Log-Size: bytes so far)
GET  /_berth/lifecycle/<hook>/log?offset=N  the same for a devcontainer lifecycle hook
GET  /_berth/ide/log?offset=N            the same for the IDE (code-server's output, all its restarts)
POST /_berth/shutdown?grace=10           end all processes, answer with the final states
CONNECT 127.0.0.1:<port>                 a TCP tunnel to a port inside the workspace
POST /_berth/exec                        a command or shell, then framed stdio (see `supervisor.exec`)
GET  /_berth/terminals                   the tasks' terminals; POST .../<i>/attach|write|resize (`supervisor.terminals`)
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re

from supervisor.exec import ExecService
from supervisor.http import HttpError, Request, error_response, json_response, read_request, response
from supervisor.logs import LogOffsetError, OutputLog
from supervisor.ports import PortWatcher
from supervisor.terminals import KeptBody, TerminalService, is_terminal_path
from supervisor.tunnel import ESTABLISHED, dial, parse_target, splice
from supervisor.version import version
from supervisor.workspace import Workspace

log = logging.getLogger("api")

LOG_CHUNK = 1 << 20
"""Most bytes one log read returns; a reader asks again from `offset + len(body)`."""
MAX_GRACE = 3600.0
_TASK_LOG = re.compile(r"/_berth/tasks/(\d+)/log")
_HOOK_LOG = re.compile(r"/_berth/lifecycle/([A-Za-z]+)/log")


class Api:
    def __init__(self, workspace: Workspace, ports: PortWatcher) -> None:
        self._workspace = workspace
        self._ports = ports
        self._token = workspace.config.token
        self._connections: set[asyncio.Task[None]] = set()
        # The launcher (and its reaper) run the workspace's processes; exec sessions join them, so the
        # workspace's shutdown ends them too.
        launcher = workspace._launcher
        self._exec = ExecService(workspace, launcher, launcher._reaper)
        self._terminals = TerminalService(workspace)

    def status(self) -> dict[str, object]:
        workspace = self._workspace
        return {
            "workspace_id": workspace.config.workspace_id,
            "instance_id": workspace.config.instance_id,
            "version": version(),
            "start_mode": workspace.start_mode,
            "content_ready": workspace.content_ready,
            "ready": workspace.ready,
            "ide_ready": workspace.ide_ready,
            "ide": None if workspace.ide is None else workspace.ide.status.as_json(),
            "stopping": workspace.stopping,
            "tasks": [runner.state.as_json() for runner in workspace.tasks],
            "ports": sorted(self._ports.ports),
            "lifecycle": [hook.as_json() for hook in workspace.lifecycle.hooks],
            "activity_at": workspace.activity_at,
            "started_at": workspace.started_at,
        }

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: one request, or one tunnel."""
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing to answer
        except Exception:
            log.exception("serving a connection failed")
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def close_connections(self) -> None:
        """End open connections and tunnels (the server stops accepting on its own)."""
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            kept = KeptBody(reader)
            request = await read_request(kept.as_reader())
            if request is None:
                return
            self._authorize(request)
            if request.method == "CONNECT":
                await self._tunnel(request, reader, writer)
                return
            if request.path == "/_berth/exec":
                await self._exec.serve(request, reader, writer)
                return
            if is_terminal_path(request.path):
                terminal_answer = await self._terminals.serve(request, kept.body, reader, writer)
                if terminal_answer is None:
                    return  # an attached session, ended
                answer = terminal_answer
            else:
                answer = await self._route(request)
        except HttpError as error:
            answer = error_response(error)
        writer.write(answer)
        await writer.drain()

    def _authorize(self, request: Request) -> None:
        if self._token is None:
            return
        expected = f"Bearer {self._token}".encode()
        for header in ("authorization", "proxy-authorization"):
            # Constant-time: the token is the only thing between a local user and the workspace.
            if hmac.compare_digest(request.headers.get(header, "").encode(), expected):
                return
        raise HttpError(401, "this supervisor needs Authorization: Bearer <token>")

    async def _route(self, request: Request) -> bytes:
        path = request.path
        if path == "/_berth/status":
            _allow(request, "GET")
            return json_response(200, self.status())
        if path == "/_berth/shutdown":
            _allow(request, "POST")
            grace = _number(request, "grace", default=10.0, high=MAX_GRACE)
            await self._workspace.shutdown(grace)
            status = self.status()
            return json_response(200, {"tasks": status["tasks"], "lifecycle": status["lifecycle"]})
        if match := _TASK_LOG.fullmatch(path):
            _allow(request, "GET")
            index = int(match.group(1))
            if index >= len(self._workspace.tasks):
                raise HttpError(404, f"no task {index}: the workspace has {len(self._workspace.tasks)} tasks")
            return _log_response(self._workspace.tasks[index].output, request)
        if match := _HOOK_LOG.fullmatch(path):
            _allow(request, "GET")
            output = self._workspace.lifecycle.outputs.get(match.group(1))
            if output is None:
                raise HttpError(404, f"no lifecycle command {match.group(1)} in this workspace")
            return _log_response(output, request)
        if path == "/_berth/ide/log":
            _allow(request, "GET")
            if self._workspace.ide is None:
                raise HttpError(404, "this workspace has no IDE")
            return _log_response(self._workspace.ide.output, request)
        raise HttpError(404, f"no such endpoint: {path[:200]}")

    async def _tunnel(self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = parse_target(request.target)
        self._workspace.touch()
        upstream = await dial(host, port)  # HttpError 502 when nothing listens
        writer.write(ESTABLISHED)
        await writer.drain()
        await splice((reader, writer), upstream, self._workspace.touch)


def _allow(request: Request, method: str) -> None:
    if request.method != method:
        raise HttpError(405, f"{request.path} answers {method} only", {"Allow": method})


def _number(request: Request, name: str, *, default: float, high: float) -> float:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise HttpError(400, f"{name} must be a number of seconds, got {text[:50]!r}") from None
    if not 0 <= value <= high:
        raise HttpError(400, f"{name} must be between 0 and {high:g}, got {text[:50]!r}")
    return value


def _log_response(output: OutputLog, request: Request) -> bytes:
    text = request.query.get("offset", "0")
    if not text.isdigit():
        raise HttpError(400, f"offset must be a non-negative integer, got {text[:50]!r}")
    offset = int(text)
    try:
        body = output.read(offset, LOG_CHUNK)
    except LogOffsetError as error:
        raise HttpError(400, str(error)) from None
    # No await since the read: size and ended describe exactly this body. "Ended" tells a follower
    # it has everything once it has read up to X-Log-Size.
    headers = {
        "X-Log-Size": str(output.size),
        "X-Log-Offset": str(offset),
        "X-Log-Ended": "true" if output.ended and offset + len(body) == output.size else "false",
    }
    return response(200, body, "application/octet-stream", headers)
