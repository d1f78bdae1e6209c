"""Bounded waits: a fault test that does not recover fails with what it was waiting for, never hangs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(what: str, check: Callable[[], Awaitable[bool]], within: float = 120.0,
                     every: float = 0.2, while_waiting: Callable[[], None] | None = None,
                     explain: Callable[[], Awaitable[str]] | None = None) -> None:
    """Return once `check()` holds. `while_waiting` runs at each turn and may raise (a component died);
    `explain` says what the state is when the wait fails."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if while_waiting is not None:
            while_waiting()
        if await check():
            return
        if loop.time() > deadline:
            state = "" if explain is None else f" ({await explain()})"
            raise AssertionError(f"not within {within}s: {what}{state}")
        await asyncio.sleep(every)
