"""The extension's task terminals (ide_extension/src) against a real supervisor process, under plain Node
(driver.js; only the vscode API is a stand-in): found through BERTH_SUPERVISOR_PORT and _TOKEN, one terminal
per task named after it, the scrollback and live output with CRLF line ends, keystrokes and the panel's size
reaching the task, the task's end reported, and closing a terminal leaving its task running."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.integration.supervisor.client import request
from tests.integration.supervisor.running import Supervisor, config_for, running
from tests.nodejs import node_binary
from tests.waiting import eventually

DRIVER = Path(__file__).with_name("driver.js")
TOKEN = "s3cret-for-the-extension"
TASKS = [
    {"name": "greeter", "command": 'echo task-ready; read line; echo "got $line"; exit 3'},
    {"name": "server", "command": "echo serving; exec sleep 600"},
]


class Driver:
    """driver.js as a child process: what it reported so far, and a way to send it commands."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.names: dict[int, str] = {}
        self.output: dict[int, str] = {}
        self.renamed: dict[int, str] = {}
        self.stderr = ""
        """What it logged (the extension's output channel), once closed."""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            event = json.loads(line)
            index = event["terminal"]
            if event["event"] == "opened":
                self.names[index] = event["name"]
            elif event["event"] == "output":
                self.output[index] = self.output.get(index, "") + event["text"]
            elif event["event"] == "renamed":
                self.renamed[index] = event["name"]

    def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")

    async def shows(self, index: int, text: str, within: float = 15.0) -> str:
        try:
            await eventually(lambda: text in self.output.get(index, ""), within=within)
        except TimeoutError:
            raise AssertionError(f"terminal {index} never showed {text!r}: {self.output.get(index)!r}") from None
        return self.output[index]

    async def close(self) -> None:
        """End it (stdin closed: it detaches every terminal) and keep what it logged."""
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self.process.wait()
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        await asyncio.gather(self._reader, return_exceptions=True)
        self.stderr = (await self.process.stderr.read()).decode(errors="replace")


@contextlib.asynccontextmanager
async def driver(supervisor: Supervisor, token: str) -> AsyncIterator[Driver]:
    process = await asyncio.create_subprocess_exec(
        node_binary(), str(DRIVER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"BERTH_SUPERVISOR_PORT": str(supervisor.port), "BERTH_SUPERVISOR_TOKEN": token, "PATH": "/usr/bin:/bin"})
    running_driver = Driver(process)
    try:
        yield running_driver
    finally:
        await running_driver.close()
        print(running_driver.stderr)


async def terminals(supervisor: Supervisor) -> list[dict[str, Any]]:
    reply = await request(supervisor.port, "GET", "/_berth/terminals", {"Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 200, reply.body
    listed: list[dict[str, Any]] = reply.json()
    return listed


async def test_task_terminals_attach_show_take_input_and_report_the_end(tmp_path: Path) -> None:
    config = config_for(tmp_path, tasks=TASKS, token=TOKEN)
    async with running(config, tmp_path) as supervisor, driver(supervisor, TOKEN) as ide:
        await eventually(lambda: len(ide.names) == 2, within=15)
        assert ide.names == {0: "Task: greeter", 1: "Task: server"}
        # Printed before anyone attached: the scrollback, with the line ends a terminal wants.
        assert "task-ready\r\n" in await ide.shows(0, "task-ready")
        await ide.shows(1, "serving")

        # The panel's size reached the task's terminal on attaching.
        async def sized() -> bool:
            listed = (await terminals(supervisor))[0]
            return bool(listed["rows"] == 30 and listed["cols"] == 100)

        await eventually(sized, within=10)
        ide.send(resize=1, rows=21, cols=77)

        async def resized() -> bool:
            listed = (await terminals(supervisor))[1]
            return bool(listed["rows"] == 21 and listed["cols"] == 77)

        await eventually(resized, within=10)

        ide.send(input=0, text="hello\r")  # Enter, as VS Code sends it
        shown = await ide.shows(0, "got hello\r\n")
        ended = await ide.shows(0, "the task ended with exit code 3")
        assert shown.index("got hello") < ended.index("exit code 3")
        await eventually(lambda: ide.renamed.get(0) == "Task: greeter (ended)", within=5)

        # Closing a terminal (or reloading the window) detaches it; its task runs on.
        ide.send(close=1)

        async def detached() -> bool:
            return bool((await terminals(supervisor))[1]["attached"] == 0)

        await eventually(detached, within=10)
        listed = await terminals(supervisor)
        assert listed[1]["open"] is True and listed[1]["phase"] == "command", listed
        await asyncio.sleep(1.5)  # past the driver's next looks at the list: a closed terminal is not reopened
        assert len(ide.names) == 2


async def test_without_the_token_nothing_opens_and_the_refusal_is_logged(tmp_path: Path) -> None:
    config = config_for(tmp_path, tasks=TASKS[1:], token=TOKEN)
    async with running(config, tmp_path) as supervisor:
        async with driver(supervisor, "not-the-token") as ide:
            await asyncio.sleep(1.5)
            assert ide.names == {}
        assert "the supervisor answered 401" in ide.stderr, ide.stderr
