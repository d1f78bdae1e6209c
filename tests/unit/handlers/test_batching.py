"""The runtime's natural batching of requests to the store."""

from __future__ import annotations

import asyncio

import pytest

from handlers.runtime.batching import Coalescer


class Recorder:
    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.gate = gate

    async def send(self, batch: list[int]) -> list[int | BaseException]:
        self.batches.append(batch)
        if self.gate is not None:
            await self.gate.wait()
        return [ValueError(n) if n < 0 else n * 10 for n in batch]


async def test_requests_of_one_turn_go_in_one_batch_and_each_gets_its_answer() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.send)
    answers = await asyncio.gather(*(coalescer.ask(n) for n in (1, 2, 3)))
    assert answers == [10, 20, 30]
    assert recorder.batches == [[1, 2, 3]]


async def test_requests_made_while_a_batch_is_in_flight_go_together_next() -> None:
    gate = asyncio.Event()
    recorder = Recorder(gate)
    coalescer = Coalescer(recorder.send)
    first = asyncio.ensure_future(coalescer.ask(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(coalescer.ask(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 10 and [await f for f in later] == [20, 30]
    assert recorder.batches == [[1], [2, 3]]


async def test_a_failure_reaches_its_requester_only_and_a_failed_send_reaches_all() -> None:
    coalescer = Coalescer(Recorder().send)
    good, bad = await asyncio.gather(coalescer.ask(1), coalescer.ask(-1), return_exceptions=True)
    assert good == 10 and isinstance(bad, ValueError)

    async def broken(batch: list[int]) -> list[int | BaseException]:
        raise ConnectionError("down")

    failing = Coalescer(broken)
    outcomes = await asyncio.gather(failing.ask(1), failing.ask(2), return_exceptions=True)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)


async def test_a_cancelled_request_is_not_sent_and_the_others_are() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.send)
    dropped = asyncio.ensure_future(coalescer.ask(1))
    kept = asyncio.ensure_future(coalescer.ask(2))
    await asyncio.sleep(0)  # both asked; the batch is not sent yet
    assert recorder.batches == []
    dropped.cancel()
    assert await kept == 20
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert recorder.batches == [[2]]
    await coalescer.close()
