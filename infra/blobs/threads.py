"""Running a blocking transfer in a worker thread without letting it outlive a cancelled caller.

A thread cannot be interrupted, so a transfer checks a stop flag between chunks. When the awaiting
task is cancelled the flag is set and the task waits for the thread to notice, so that whatever the
transfer owns (a temp file, an HTTP upload) is cleaned up before the cancellation completes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class TransferStopped(Exception):
    """Raised inside the worker thread when its caller was cancelled; never reaches the caller."""


async def run_stoppable(work: Callable[[threading.Event], T]) -> T:
    """Run `work(stop)` in a thread; on cancellation set `stop`, wait for `work` to return, re-raise."""
    stop = threading.Event()
    task = asyncio.ensure_future(asyncio.to_thread(work, stop))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        stop.set()
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved: the thread's TransferStopped is expected, not an unhandled error
        raise


def until_stopped(chunks: Iterable[T], stop: threading.Event) -> Iterator[T]:
    """`chunks`, ending with TransferStopped as soon as `stop` is set."""
    for chunk in chunks:
        if stop.is_set():
            raise TransferStopped
        yield chunk
    if stop.is_set():
        raise TransferStopped


def from_async(chunks: AsyncIterable[T], loop: asyncio.AbstractEventLoop, stop: threading.Event) -> Iterator[T]:
    """An async iterable read from a worker thread: each item is awaited on `loop`, one at a time,
    which is also the back-pressure (the producer never runs ahead of the consumer)."""
    iterator: AsyncIterator[T] = aiter(chunks)
    try:
        while not stop.is_set():
            try:
                yield asyncio.run_coroutine_threadsafe(_next(iterator), loop).result()
            except StopAsyncIteration:
                return
        raise TransferStopped
    finally:
        closer = getattr(iterator, "aclose", None)
        if closer is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(closer(), loop).result()


async def _next(iterator: AsyncIterator[T]) -> T:
    return await anext(iterator)


def on_loop(callback: Callable[[T], object] | None, loop: asyncio.AbstractEventLoop) -> Callable[[T], None]:
    """A thread-safe stand-in for `callback` that runs it on `loop`: progress callbacks may then
    touch the caller's state (queues, events) without locks. Calls keep their order, and all of
    them run before the awaiting caller resumes, because the thread's result is delivered to the
    loop the same way, after them."""
    if callback is None:
        return _ignore

    def schedule(value: T) -> None:
        loop.call_soon_threadsafe(callback, value)

    return schedule


def _ignore(value: object) -> None:
    return None
