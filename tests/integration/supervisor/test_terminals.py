"""The tasks' terminals through a real supervisor process: list, attach (scrollback, then live output, to
several clients at once), input, resizes, detaching, and a task's end."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from supervisor.exec import EXIT, HEADER, RESIZE, STDIN, STDOUT
from tests.integration.supervisor.client import Reply, parse_reply, request, status
from tests.integration.supervisor.running import config_for, running
from tests.waiting import eventually

PYTHON = shlex.quote(sys.executable)
WINCH = (
    "import os, signal, sys, time\n"
    "signal.signal(signal.SIGWINCH, lambda *_: print('winch', *os.get_terminal_size(0), flush=True))\n"
    "print('watching', flush=True)\n"
    "while True: time.sleep(1)\n"
)


def tasks(tmp_path: Path) -> list[dict[str, Any]]:
    script = tmp_path / "winch.py"
    script.write_text(WINCH)
    return [
        {"name": "shell", "command": "echo ready-marker; PS1='$ ' exec bash --norc --noprofile -i"},
        {"name": "winch", "command": f"exec {PYTHON} {shlex.quote(str(script))}"},
    ]


class Attached:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.output = b""
        self.exit_code: int | None = None

    def send(self, kind: int, payload: bytes = b"") -> None:
        self.writer.write(HEADER.pack(kind, len(payload)) + payload)

    async def read_frame(self) -> tuple[int, bytes] | None:
        try:
            kind, length = HEADER.unpack(await self.reader.readexactly(HEADER.size))
            return kind, await self.reader.readexactly(length)
        except asyncio.IncompleteReadError:
            return None

    async def until(self, text: bytes, within: float = 10.0) -> bytes:
        """Output until `text` shows up (everything so far is kept in `output`)."""
        async with asyncio.timeout(within):
            while text not in self.output:
                got = await self.read_frame()
                assert got is not None, f"the connection ended before {text!r}; got {self.output!r}"
                kind, payload = got
                if kind == STDOUT:
                    self.output += payload
                elif kind == EXIT:
                    self.exit_code = struct.unpack(">i", payload)[0]
        return self.output

    async def until_end(self, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while (got := await self.read_frame()) is not None:
                kind, payload = got
                if kind == STDOUT:
                    self.output += payload
                elif kind == EXIT:
                    self.exit_code = struct.unpack(">i", payload)[0]


@contextlib.asynccontextmanager
async def attach(port: int, index: int) -> AsyncIterator[Attached]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"POST /_berth/terminals/{index}/attach HTTP/1.1\r\nHost: supervisor\r\n\r\n".encode())
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 "), head
        yield Attached(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def post(port: int, target: str, body: bytes = b"") -> Reply:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"POST {target} HTTP/1.1\r\nHost: supervisor\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                     + body)
        async with asyncio.timeout(10):
            return parse_reply(await reader.read())
    finally:
        writer.close()


async def listed(port: int) -> list[dict[str, Any]]:
    reply = await request(port, "GET", "/_berth/terminals")
    assert reply.status == 200, reply
    terminals: list[dict[str, Any]] = reply.json()
    return terminals


async def test_attach_type_resize_and_detach(tmp_path: Path) -> None:
    async with running(config_for(tmp_path, tasks=tasks(tmp_path)), tmp_path) as supervisor:
        port = supervisor.port
        await eventually(lambda: _all_open(port), within=15)
        shell, winch = await listed(port)
        assert shell["index"] == 0 and shell["name"] == "shell" and shell["phase"] == "command"
        assert isinstance(shell["pid"], int) and (shell["rows"], shell["cols"]) == (40, 120)
        assert winch["name"] == "winch" and shell["attached"] == 0
        before = (await status(port))["activity_at"]

        async with attach(port, 0) as first, attach(port, 0) as second:
            await first.until(b"ready-marker")  # the scrollback: printed before anyone attached
            await second.until(b"ready-marker")
            await eventually(lambda: _attached(port, 0, 2), within=5)

            first.send(STDIN, b"echo $((6 * 7))-answer\n")
            await first.until(b"42-answer")
            await second.until(b"42-answer")  # every attached client gets the output

            # Non-interactive input and resize, seen inside the terminal.
            assert (await post(port, "/_berth/terminals/0/resize?rows=33&cols=91")).status == 204
            assert (await post(port, "/_berth/terminals/0/write", b"stty size\n")).status == 204
            await second.until(b"33 91")
            first.send(RESIZE, struct.pack(">HH", 50, 132))
            await asyncio.sleep(0.2)
            first.send(STDIN, b"stty size\n")
            await first.until(b"50 132")
            assert (await listed(port))[0]["rows"] == 50
            assert (await status(port))["activity_at"] != before  # input is activity

        # Both left; the shell still runs, and a new client sees what happened in the scrollback.
        await eventually(lambda: _attached(port, 0, 0), within=5)
        assert (await status(port))["tasks"][0]["phase"] == "command"
        async with attach(port, 0) as third:
            await third.until(b"50 132")
            third.send(STDIN, b"exit 3\n")
            await third.until_end()
            assert third.exit_code == 3
        await eventually(lambda: _phase(port, 0, "failed"), within=10)
        gone = await post(port, "/_berth/terminals/0/write", b"echo hi\n")
        assert gone.status == 409, gone
        async with attach(port, 0) as late:  # an ended terminal: its scrollback, then its exit code
            await late.until_end()
            assert b"42-answer" in late.output and late.exit_code == 3

        # A resize reaches the task's process group as SIGWINCH.
        async with attach(port, 1) as watcher:
            await watcher.until(b"watching")
            watcher.send(RESIZE, struct.pack(">HH", 30, 100))
            await watcher.until(b"winch 100 30")


async def test_bad_requests(tmp_path: Path) -> None:
    async with running(config_for(tmp_path, tasks=tasks(tmp_path)[:1]), tmp_path) as supervisor:
        port = supervisor.port
        await eventually(lambda: _all_open(port), within=15)
        assert (await post(port, "/_berth/terminals/5/write", b"x")).status == 404
        assert (await post(port, "/_berth/terminals/0/resize?rows=0&cols=80")).status == 400
        assert (await post(port, "/_berth/terminals/0/resize?rows=a&cols=80")).status == 400
        assert (await request(port, "GET", "/_berth/terminals/0/write")).status == 405
        assert (await post(port, "/_berth/terminals")).status == 405


async def _all_open(port: int) -> bool:
    return all(terminal["open"] and terminal["phase"] == "command" for terminal in await listed(port))


async def _attached(port: int, index: int, count: int) -> bool:
    return bool((await listed(port))[index]["attached"] == count)


async def _phase(port: int, index: int, phase: str) -> bool:
    return bool((await status(port))["tasks"][index]["phase"] == phase)
