"""Running blocking pygit2 work off the event loop, with a deadline the caller can rely on.

Each job gets its own daemon thread rather than `asyncio.to_thread`: a libgit2 call stuck on a
silent server cannot be interrupted, and a thread of the loop's default executor would hold up the
loop's shutdown (which joins that executor) until it ends. The caller gets `Unavailable` at the
deadline; the thread learns of it through `Job.check`, which the transfer callbacks call, and
otherwise ends at libgit2's socket timeout (see `timeouts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

from domain.errors import Unavailable
from infra.git.progress import FetchProgress, ProgressCallback, Throttle

T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside a job's thread once its caller stopped waiting for it."""


class Job:
    """What a blocking job may ask of its caller: whether to go on, and where to report progress."""

    def __init__(self, loop: asyncio.AbstractEventLoop, progress: ProgressCallback | None) -> None:
        self.cancelled = threading.Event()
        self._loop = loop
        self._progress = progress
        self._throttle = Throttle()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled("the caller stopped waiting")

    def report(self, progress: FetchProgress) -> None:
        if self._progress is not None and self._throttle.admit(progress):
            # The loop is gone when the caller's program ended meanwhile: nobody is listening then.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._progress, progress)


async def run_bounded(work: Callable[[Job], T], *, timeout: float, describe: str,
                      progress: ProgressCallback | None = None) -> T:
    """`work(job)` in a thread; `Unavailable` naming `describe` when it takes longer than `timeout` seconds."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    job = Job(loop, progress)

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = work(job)
        except BaseException as error:  # every outcome, even KeyboardInterrupt, goes back to the caller
            failure = error
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, lambda: future.set_exception(failure))
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

    threading.Thread(target=run, name=f"berth-git: {describe}", daemon=True).start()
    try:
        async with asyncio.timeout(timeout):
            return await future
    except TimeoutError:
        raise Unavailable(f"{describe} did not finish within {timeout:g}s") from None
    finally:
        job.cancelled.set()
