"""Stopping and starting the real PostgreSQL and Kafka of scripts/services, with every wait bounded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from tests.integration.faults.children import REPO

SCRIPTS = REPO / "scripts" / "services"
SERVICES = ("postgres", "kafka")


async def service(name: str, command: str, within: float = 180.0) -> str:
    """`scripts/services/<name>.sh <command>`; raises when it fails or takes longer than `within`."""
    assert name in SERVICES
    process = await asyncio.create_subprocess_exec(
        str(SCRIPTS / f"{name}.sh"), command, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(within):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"{name}.sh {command} took longer than {within}s") from None
    text = output.decode(errors="replace")
    if process.returncode != 0 and command != "status":
        raise AssertionError(f"{name}.sh {command} failed ({process.returncode}):\n{text}")
    return text if process.returncode == 0 else ""


async def is_running(name: str) -> bool:
    return bool(await service(name, "status", within=60))


@contextlib.asynccontextmanager
async def outage(name: str) -> AsyncIterator[None]:
    """The service is stopped for the body of the `with`, and started again afterwards even when the
    body fails (the start is awaited: it returns once the service answers)."""
    await service(name, "stop")
    try:
        yield
    finally:
        await service(name, "start")


async def ensure_running(*names: str) -> None:
    for name in names:
        if not await is_running(name):
            await service(name, "start")
