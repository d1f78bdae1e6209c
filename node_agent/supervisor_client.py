"""Talking to an instance's supervisor through its port published on 127.0.0.1 (never a bridge address)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx

from domain.errors import TemporaryError, Unavailable


async def supervisor_status(port: int, timeout: float = 2.0) -> dict[str, Any]:
    """GET /_berth/status; Unavailable while nothing answers yet."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(f"http://127.0.0.1:{port}/_berth/status")
    except httpx.TransportError as error:
        raise Unavailable(f"the supervisor on 127.0.0.1:{port} does not answer: {error!r}") from None
    if response.status_code != 200:
        raise TemporaryError(f"the supervisor answered {response.status_code}: {response.text[:200]}")
    status: dict[str, Any] = response.json()
    return status


FIRST_POLL = 0.01
MAX_POLL = 0.1
"""Waits below ask often at first (a start usually settles within a second) and back off to this."""


def _polls() -> Iterator[float]:
    delay = FIRST_POLL
    while True:
        yield delay
        delay = min(delay * 1.5, MAX_POLL)


async def wait_for_supervisor(port: int, within: float) -> dict[str, Any]:
    """The first status the supervisor gives; Unavailable when it did not answer within `within` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delays = _polls()
    while True:
        try:
            return await supervisor_status(port)
        except (Unavailable, TemporaryError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(next(delays))


async def shut_down_tasks(port: int, grace: float = 10.0) -> dict[str, Any] | None:
    """Ask the supervisor to end its tasks (before the backup); None when it cannot be reached."""
    try:
        async with httpx.AsyncClient(timeout=grace + 10) as client:
            response = await client.post(f"http://127.0.0.1:{port}/_berth/shutdown", params={"grace": grace})
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        return None
    result: dict[str, Any] = response.json()
    return result


async def wait_for_ide(port: int, within: float) -> str | None:
    """None once the supervisor says the IDE answers (or the workspace has none); else why it does not."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delays = _polls()
    while True:
        try:
            status = await supervisor_status(port)
        except (Unavailable, TemporaryError) as error:
            status = {"ide": {"state": "unknown", "error": str(error)}}
        if status.get("ide_ready", True) is True:
            return None
        ide = status.get("ide") or {}
        if ide.get("state") == "failed" or loop.time() > deadline:
            return f"the IDE did not start ({ide.get('state')}): {ide.get('error') or 'no answer'}"
        await asyncio.sleep(next(delays))
