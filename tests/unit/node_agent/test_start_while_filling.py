"""The container starts while /workspace is filled (node_agent/lifecycle.py): both results, or the first failure,
with nothing left running behind."""

from __future__ import annotations

import asyncio

import pytest

from node_agent.lifecycle import _start_while_filling


async def test_both_results_after_both_ran_at_once() -> None:
    order: list[str] = []

    async def start() -> str:
        order.append("start begins")
        await asyncio.sleep(0.05)
        order.append("start ends")
        return "started"

    async def fill() -> int:
        order.append("fill begins")
        await asyncio.sleep(0.01)
        order.append("fill ends")
        return 42

    assert await _start_while_filling(start(), fill()) == ("started", 42)
    assert order == ["start begins", "fill begins", "fill ends", "start ends"]


async def test_a_failed_start_stops_the_copy() -> None:
    copy_stopped = asyncio.Event()

    async def start() -> str:
        await asyncio.sleep(0.01)
        raise RuntimeError("the container exited at once")

    async def fill() -> int:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            copy_stopped.set()
            raise
        return 1

    with pytest.raises(RuntimeError, match="exited at once"):
        await asyncio.wait_for(_start_while_filling(start(), fill()), 5)
    assert copy_stopped.is_set()


async def test_a_failed_copy_lets_the_start_finish_then_fails() -> None:
    started = asyncio.Event()

    async def start() -> str:
        await asyncio.sleep(0.05)
        started.set()
        return "started"

    async def fill() -> int:
        raise ValueError("the backup is cut short")

    with pytest.raises(ValueError, match="cut short"):
        await _start_while_filling(start(), fill())
    assert started.is_set(), "the start was not abandoned half-way"


async def test_cancelled_from_outside_cancels_both() -> None:
    cancelled: list[str] = []

    async def waits(name: str) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    task = asyncio.ensure_future(_start_while_filling(waits("start"), waits("fill")))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cancelled) == ["fill", "start"]
