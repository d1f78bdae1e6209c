"""Batching a live stream into what is ready (pure asyncio; used by the relay)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from infra.kafka.batches import ready_batches


async def test_takes_what_is_ready_without_waiting_for_a_full_batch() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for item in range(7):
        queue.put_nowait(item)

    async def live() -> AsyncIterator[int]:
        while True:
            yield await queue.get()

    batches = ready_batches(live(), max_size=3)
    try:
        taken: list[list[int]] = []
        while sum(map(len, taken)) < 7:
            taken.append(await asyncio.wait_for(anext(batches), 1))
        assert [item for batch in taken for item in batch] == list(range(7))
        assert all(1 <= len(batch) <= 3 for batch in taken)
        assert taken[0] == [0, 1, 2]  # a backlog goes out in full batches

        later = asyncio.ensure_future(anext(batches))
        await asyncio.sleep(0.05)
        assert not later.done()  # waits for the next item instead of yielding an empty batch
        queue.put_nowait(7)
        assert await asyncio.wait_for(later, 1) == [7]  # and does not wait for a full batch
    finally:
        await batches.aclose()


async def test_ends_after_the_last_items_when_the_source_ends() -> None:
    async def finite() -> AsyncIterator[int]:
        for item in range(5):
            yield item

    batches = [batch async for batch in ready_batches(finite(), max_size=2)]
    assert [item for batch in batches for item in batch] == [0, 1, 2, 3, 4]
    assert all(1 <= len(batch) <= 2 for batch in batches)


async def test_raises_what_the_source_raises() -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise RuntimeError("store gone")

    seen: list[int] = []

    async def consume() -> None:
        async for batch in ready_batches(failing(), max_size=10):
            seen.extend(batch)

    with pytest.raises(RuntimeError, match="store gone"):
        await consume()
    assert seen == [1]


async def test_closing_the_batches_closes_the_source() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[int]:
        try:
            item = 0
            while True:
                yield item
                item += 1
        finally:
            closed.set()

    batches = ready_batches(endless(), max_size=2)
    assert len(await anext(batches)) >= 1
    await batches.aclose()
    assert closed.is_set()
