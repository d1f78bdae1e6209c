"""Waiting for a condition that has no way to notify the test (a real service, another task)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], bool | Awaitable[bool]], within: float = 30.0, every: float = 0.02) -> None:
    """Return once `check()` holds (awaited when it returns an awaitable); TimeoutError after `within` s."""
    async with asyncio.timeout(within):
        while True:
            outcome = check()
            if inspect.isawaitable(outcome):
                outcome = await outcome
            if outcome:
                return
            await asyncio.sleep(every)
