"""Many concurrent requests to the store answered by one round trip: natural batching.

A worker runs one task per stream, and each asks the store the same two things per event (is it tracked?
commit its effects with its tracking record). Asked one by one, a busy worker spends most of its time on
round trips. A Coalescer takes every request made while it is idle or busy and sends them together: the
first request goes out on the next turn of the event loop (with whatever else was asked in that turn),
and requests made while a round trip is in flight go out together as soon as it returns. An idle worker
pays no waiting; a busy one gets larger batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    def __init__(self, send: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]]) -> None:
        """`send` answers a batch with one outcome per request, in order (an exception raised by `send`
        itself is every request's outcome)."""
        self._send = send
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def ask(self, request: T) -> R:
        return await self.submit(request)  # cancelled here, the request is dropped if not yet sent

    def submit(self, request: T) -> asyncio.Future[R]:
        """Ask without waiting (to ask early, e.g. for every event of a fetched batch at once): the answer
        comes in the future. An exception it ends with counts as retrieved, awaited or not."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        self._pending.append((request, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_pending())
        return future

    async def _send_pending(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._pending:
                batch, self._pending = [(r, f) for r, f in self._pending if not f.done()], []
                if not batch:
                    continue
                try:
                    outcomes: Sequence[R | BaseException] = await self._send([request for request, _ in batch])
                except Exception as error:  # handed to every requester, who handles it
                    outcomes = [error] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue  # its requester was cancelled meanwhile
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                batch = []
        finally:
            self._sender = None
            for _, future in batch + self._pending:  # cancelled: nobody may wait forever
                future.cancel()
            self._pending = []

    async def close(self) -> None:
        """Wait for the batch in flight, if any (its outcomes still reach who is waiting)."""
        sender = self._sender
        if sender is not None:
            await asyncio.gather(sender, return_exceptions=True)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """An answer nobody waits for any more (its event was dropped at a stop) is no error to report."""
    if not future.cancelled():
        future.exception()
