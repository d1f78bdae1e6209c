"""Group a live stream into batches of whatever has already arrived.

The relay publishes in batches (send many, await all, checkpoint once) but follows a log that trickles:
it must not wait for a full batch, nor publish one event at a time when thousands are ready. So: wait
for the first item, then take what else is ready without waiting, up to `max_size`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def ready_batches(source: AsyncIterator[T], max_size: int) -> AsyncGenerator[list[T], None]:
    """Ends when `source` ends (after the last items); raises what `source` raises."""
    if max_size < 1:
        raise ValueError(f"max_size must be at least 1, not {max_size}")
    # Bounded: the reader runs at most one batch ahead of the consumer of the batches.
    queue: asyncio.Queue[T] = asyncio.Queue(max_size)
    reader = asyncio.create_task(_read_into(source, queue))
    try:
        while True:
            if queue.empty():
                item = asyncio.ensure_future(queue.get())
                try:
                    await asyncio.wait({item, reader}, return_when=asyncio.FIRST_COMPLETED)
                except asyncio.CancelledError:
                    item.cancel()  # else the pending get outlives the relay ("Task was destroyed...")
                    raise
                if not item.done():
                    item.cancel()  # a cancelled get takes nothing from the queue
                    if not queue.empty():
                        continue  # the source's last items arrived as it ended
                    reader.result()  # the source ended or failed and nothing is left: end the same way
                    return
                batch = [item.result()]
            else:
                batch = []
            while len(batch) < max_size and not queue.empty():
                batch.append(queue.get_nowait())
            yield batch
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _read_into(source: AsyncIterator[T], queue: asyncio.Queue[T]) -> None:
    try:
        async for item in source:
            await queue.put(item)
    finally:
        # Cancelled while waiting on the queue leaves the source suspended: close it (its cleanup runs).
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
