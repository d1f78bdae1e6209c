"""The supervisor as a real local process (`python -m supervisor serve`), run as the current user."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.supervisor.client import request

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def config_for(root: Path, **fields: Any) -> dict[str, Any]:
    """A config whose workspace is `root`/workspace with the checkout `repo` in it.

    Tasks get an empty HOME under `root`: their login shell then reads no dotfiles of the user
    running the tests (which may do slow or locking things, like `pyenv rehash`), as in a fresh
    workspace image."""
    workspace = root / "workspace"
    (workspace / "repo").mkdir(parents=True, exist_ok=True)
    home = root / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), **fields.pop("env", {})}
    return {
        "workspace_id": "amber-otter-k3x9qa",
        "instance_id": "instance-1",
        "port": free_port(),
        "user": current_user(),
        "workspace_dir": str(workspace),
        "checkout_location": "repo",
        "log_dir": str(workspace / ".berth" / "logs"),
        "env": env,
        **fields,
    }


@dataclass
class Supervisor:
    process: asyncio.subprocess.Process
    port: int
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    async def wait_exit(self, within: float = 15.0) -> int:
        async with asyncio.timeout(within):
            return await self.process.wait()


async def start(config: dict[str, Any], root: Path) -> Supervisor:
    """Write the config, start the supervisor, and return once its endpoint answers."""
    path = root / f"config-{config['port']}.json"
    path.write_text(json.dumps(config))
    stderr_path = root / f"supervisor-{config['port']}.log"
    with stderr_path.open("wb") as stderr:  # the child has its own copy of the descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "supervisor", "serve", "--config", str(path), cwd=REPO, stderr=stderr
        )
    supervisor = Supervisor(process, config["port"], stderr_path)
    try:
        async with asyncio.timeout(15):
            while True:
                if process.returncode is not None:
                    raise AssertionError(f"the supervisor exited with {process.returncode}:\n{supervisor.stderr()}")
                with contextlib.suppress(OSError):
                    await request(supervisor.port, "GET", "/_berth/status")  # any answer: it serves
                    return supervisor
                await asyncio.sleep(0.05)
    except BaseException:
        await stop(supervisor)
        raise


async def stop(supervisor: Supervisor) -> None:
    if supervisor.process.returncode is None:
        supervisor.process.send_signal(signal.SIGTERM)
        try:
            await supervisor.wait_exit()
        except TimeoutError:
            supervisor.process.kill()
            await supervisor.process.wait()


@contextlib.asynccontextmanager
async def running(config: dict[str, Any], root: Path) -> AsyncIterator[Supervisor]:
    supervisor = await start(config, root)
    try:
        yield supervisor
    finally:
        await stop(supervisor)
