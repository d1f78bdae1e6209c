"""The client side of the supervisor's exec endpoint (`POST /_berth/exec`, see supervisor/exec.py for the
contract): one process in the workspace, its stdio carried in frames over one connection.

The frame layout is duplicated here rather than imported: the supervisor ships into workspaces as its own
program, and the wire format, not the code, is what the two sides share."""

from __future__ import annotations

import asyncio
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from gateway.proxy.tunnel import CONNECT_TIMEOUT, SUPERVISOR_HOST, SupervisorUnreachable, TunnelError

STDIN, STDOUT, STDERR, RESIZE, SIGNAL, EXIT = 0, 1, 2, 3, 4, 5
HEADER = struct.Struct(">BI")
MAX_FRAME = 1 << 20


class ExecRefused(TunnelError):
    """The supervisor answered, but would not start the process (the reason is its words)."""


@dataclass(frozen=True)
class ExecRequest:
    command: str | None = None
    """None: a login shell."""
    pty: bool = False
    rows: int = 0
    cols: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def header(self) -> str:
        spec: dict[str, Any] = {"command": self.command, "pty": self.pty, "rows": self.rows, "cols": self.cols,
                                "env": self.env}
        return json.dumps(spec, separators=(",", ":"), ensure_ascii=True)


@dataclass
class ExecStream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def send(self, kind: int, payload: bytes = b"") -> None:
        self.writer.write(HEADER.pack(kind, len(payload)) + payload)

    def resize(self, rows: int, cols: int) -> None:
        self.send(RESIZE, struct.pack(">HH", min(rows, 0xFFFF), min(cols, 0xFFFF)))

    async def next_frame(self) -> tuple[int, bytes] | None:
        """The next frame from the supervisor; None when the connection ended."""
        try:
            kind, length = HEADER.unpack(await self.reader.readexactly(HEADER.size))
            if length > MAX_FRAME * 4:
                raise SupervisorUnreachable(f"the supervisor sent a {length}-byte frame")
            return kind, await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    def close(self) -> None:
        self.writer.close()


@dataclass(frozen=True)
class Upgrade:
    """The supervisor's answer to an upgrade request: 101 with the framed stream, or a status and its reason."""

    status: int
    reason: str
    stream: ExecStream | None


async def upgrade(supervisor_port: int, path: str, headers: str = "", *, token: str | None = None,
                  timeout: float = CONNECT_TIMEOUT) -> Upgrade:
    """POST `path` on the supervisor asking for its framed byte stream (exec, a terminal's attach).
    SupervisorUnreachable when nothing answers or the answer breaks off."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(SUPERVISOR_HOST, supervisor_port)
    except (OSError, TimeoutError) as error:
        raise SupervisorUnreachable(f"the workspace's supervisor on {SUPERVISOR_HOST}:{supervisor_port} does not "
                                    f"answer ({error}); the workspace may be stopping or gone") from None
    try:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {SUPERVISOR_HOST}:{supervisor_port}\r\n{auth}{headers}\r\n"
                     .encode("ascii"))
        async with asyncio.timeout(timeout):
            head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1] if head.startswith(b"HTTP/1.") else b""
        if status == b"101":
            return Upgrade(101, "", ExecStream(reader, writer))
        # An error answer closes with a short text body: the supervisor's reason.
        async with asyncio.timeout(2):
            body = await reader.read(4096)
        writer.close()
        why = body.decode("utf-8", "replace").strip() or head.split(b"\r\n", 1)[0].decode("latin-1")
        return Upgrade(int(status) if status.isdigit() else 502, why, None)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        writer.close()
        raise SupervisorUnreachable(f"the workspace's supervisor failed the {path} request ({error!r})") from None


async def open_exec(supervisor_port: int, request: ExecRequest, *, token: str | None = None,
                    timeout: float = CONNECT_TIMEOUT) -> ExecStream:
    answer = await upgrade(supervisor_port, "/_berth/exec", f"X-Berth-Exec: {request.header()}\r\n", token=token,
                           timeout=timeout)
    if answer.stream is None:
        raise ExecRefused(f"the workspace could not run the session: {answer.reason}")
    return answer.stream
