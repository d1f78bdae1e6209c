"""The supervisor's exec endpoint on its own (a real supervisor process, no SSH)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.ssh.exec_client import collect, frame, open_exec
from tests.integration.supervisor.running import Supervisor, config_for, running


async def shut(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


@pytest.fixture
async def supervisor(tmp_path: Path) -> AsyncIterator[Supervisor]:
    async with running(config_for(tmp_path), tmp_path) as started:
        yield started


async def test_pipes_keep_stdout_and_stderr_apart(supervisor: Supervisor) -> None:
    reader, writer, head = await open_exec(supervisor.port, {"command": "cat; echo err >&2; exit 4"})
    assert head.startswith(b"HTTP/1.1 101 ")
    writer.write(frame(0, b"in") + frame(0, b""))
    assert await collect(reader) == ({1: b"in", 2: b"err\n"}, 4)
    await shut(writer)


async def test_a_terminal_is_the_controlling_one_and_resizes(supervisor: Supervisor) -> None:
    reader, writer, _ = await open_exec(supervisor.port, {"pty": True, "rows": 30, "cols": 100,
                                                          "argv": ["bash", "--norc", "-i"]})
    writer.write(frame(0, b"stty size\n"))
    seen = b""
    async with asyncio.timeout(10):
        while b"30 100" not in seen:  # the size it started with, before we change it
            header = await reader.readexactly(5)
            seen += await reader.readexactly(struct.unpack(">I", header[1:])[0])
    writer.write(frame(3, struct.pack(">HH", 50, 160)))
    writer.write(frame(0, b"stty size; ps -o tty= -p $$ | grep -c pts; exit 6\n"))
    output, code = await collect(reader)
    assert code == 6
    assert "50 160\r\n1\r\n" in output[1].decode(errors="replace")
    await shut(writer)


async def test_a_client_that_leaves_hangs_the_process_up(supervisor: Supervisor) -> None:
    reader, writer, _ = await open_exec(supervisor.port, {"argv": ["sh", "-c", "echo $$; exec sleep 300"]})
    header = await reader.readexactly(5)
    pid = int((await reader.readexactly(struct.unpack(">I", header[1:])[0])).decode())
    await shut(writer)
    async with asyncio.timeout(10):
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            await asyncio.sleep(0.05)


@pytest.mark.parametrize(("spec", "status"), [({"argv": ["/no/such/program"]}, b"422"), ({"rows": "x"}, b"400")])
async def test_refusals_are_plain_http(supervisor: Supervisor, spec: dict[str, object], status: bytes) -> None:
    _, writer, head = await open_exec(supervisor.port, spec)
    assert head.split(b" ")[1] == status
    await shut(writer)


async def test_the_exec_updates_activity(supervisor: Supervisor) -> None:
    reader, writer, _ = await open_exec(supervisor.port, {"argv": ["true"]})
    assert (await collect(reader))[1] == 0
    await shut(writer)
    reader, writer = await asyncio.open_connection("127.0.0.1", supervisor.port)
    writer.write(b"GET /_berth/status HTTP/1.1\r\n\r\n")
    assert b'"activity_at": null' not in await reader.read()
    await shut(writer)
