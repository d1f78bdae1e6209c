"""Runs one handler over one event source: per-stream order, concurrency across streams, retries with
backoff, dead letters for what cannot be handled, and a graceful-then-forced stop.

Modelled on kopf's per-object queues: each stream has at most one task working through its events in
order, so a slow or failing workspace never holds up another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from domain.errors import StreamConflict, TemporaryError, Unavailable
from domain.events import Recorded
from handlers.runtime.handler import Handler, HandlerContext
from handlers.runtime.source import EventSource
from infra.logs import correlation_id
from infra.metrics import EVENTS_HANDLED, EVENTS_PARKED, HANDLER_SECONDS
from infra.store.contract import AlreadyProcessed, EventStore
from infra.store.records import DeadLetter, StoredEvent, Tracking
from schemas.codec import EventCodec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    initial_wait: float = 0.05
    max_wait: float = 2.0


class Worker:
    def __init__(self, handler: Handler, source: EventSource, store: EventStore, codec: EventCodec, *,
                 retry: RetryPolicy = RetryPolicy(), max_in_flight: int = 1000) -> None:
        self.handler = handler
        self._source = source
        self._store = store
        self._codec = codec
        self._context = HandlerContext(store, codec)
        self._retry = retry
        self._capacity = asyncio.Semaphore(max_in_flight)
        self._queues: dict[str, deque[StoredEvent]] = {}
        self._stream_tasks: set[asyncio.Task[None]] = set()
        self._reader: asyncio.Task[None] | None = None
        self.handled = 0
        self.parked = 0

    @property
    def name(self) -> str:
        return self.handler.name

    async def run(self) -> None:
        """Consume until stopped."""
        self._reader = asyncio.current_task()
        async for event in self._source.events():
            await self._capacity.acquire()  # backpressure: stop reading when too much is in flight
            self._enqueue(event)

    def _enqueue(self, event: StoredEvent) -> None:
        queue = self._queues.get(event.stream_id)
        if queue is not None:
            queue.append(event)  # that stream's task is running and will get to it in order
            return
        self._queues[event.stream_id] = deque([event])
        task = asyncio.create_task(self._drain(event.stream_id), name=f"{self.name}:{event.stream_id}")
        self._stream_tasks.add(task)
        task.add_done_callback(self._stream_tasks.discard)

    async def _drain(self, stream_id: str) -> None:
        queue = self._queues[stream_id]
        try:
            while queue:
                event = queue[0]
                await self._process(event)
                queue.popleft()
                self._capacity.release()
                await self._source.done(event)
        finally:
            if self._queues.get(stream_id) is queue and not queue:
                del self._queues[stream_id]

    async def _process(self, stored: StoredEvent) -> None:
        """Handle one event, waiting out any outage of the store however long it lasts."""
        if stored.envelope.type not in self.handler.event_types:
            return
        delay = self._retry.initial_wait
        while True:
            try:
                await self._process_once(stored)
                return
            except Unavailable as error:
                log.warning("%s: store unavailable at position %s, retrying: %s", self.name, stored.position, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry.max_wait)
            except Exception:
                # Not the handler's (that is parked): the store failed checking tracking or parking.
                # Retry; letting this stream's task die would leave its queue undrained for good.
                log.exception("%s: unexpected failure at position %s, retrying", self.name, stored.position)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry.max_wait)

    async def _process_once(self, stored: StoredEvent) -> None:
        if await self._store.is_tracked(self.name, stored.position):
            return  # redelivered after its effects were committed
        correlation_id.set(str(stored.envelope.correlation_id))  # this stream's task only: logs carry it
        try:
            with HANDLER_SECONDS.labels(self.name).time():
                await self._handle_with_retries(stored, Tracking(self.name, stored.position))
        except Unavailable:
            raise
        except AlreadyProcessed:
            return
        except _GaveUp as gave_up:
            await self._park(stored, f"gave up after {gave_up.attempts} attempts: {gave_up.cause!r}",
                             gave_up.attempts)
        except Exception as error:  # a handler's bug must park its event, never kill the worker
            await self._park(stored, _describe(error), 1)

    async def _handle_with_retries(self, stored: StoredEvent, tracking: Tracking | None,
                                   settles: Tracking | None = None) -> None:
        event = Recorded(stored.envelope, self._codec.decode(stored.envelope.type, stored.envelope.schema,
                                                             stored.payload))
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TemporaryError),
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_exponential_jitter(multiplier=self._retry.initial_wait, max=self._retry.max_wait,
                                        jitter=self._retry.initial_wait),
            reraise=True,
        )
        attempt_number = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempt_number = attempt.retry_state.attempt_number
                    appends = await self.handler.handle(event, self._context)
                    try:
                        await self._store.commit(appends, tracking, settles)
                    except StreamConflict as conflict:
                        # The stream moved on while we decided: decide again on the new state.
                        raise TemporaryError(str(conflict)) from conflict
        except Unavailable:
            raise
        except TemporaryError as error:
            raise _GaveUp(attempt_number, error) from error
        self.handled += 1
        EVENTS_HANDLED.labels(self.name).inc()

    async def _park(self, stored: StoredEvent, error: str, attempts: int) -> None:
        log.error("%s: parked %s at position %s: %s", self.name, stored.envelope.type, stored.position, error)
        await self._store.park(DeadLetter(self.name, stored.position, stored.envelope.event_id, stored.stream_id,
                                          stored.envelope.type, error, attempts))
        self.parked += 1
        EVENTS_PARKED.labels(self.name).inc()

    async def replay(self, stored: StoredEvent, attempts_so_far: int) -> None:
        """Handle a parked event again; on success its dead letter is settled in the same commit,
        on failure it stays parked with the new error."""
        settles = Tracking(self.name, stored.position)
        try:
            await self._handle_with_retries(stored, None, settles)
        except Unavailable:
            raise
        except _GaveUp as gave_up:
            await self._park(stored, f"replay gave up: {gave_up.cause!r}", attempts_so_far + gave_up.attempts)
            raise
        except Exception as error:
            await self._park(stored, _describe(error), attempts_so_far + 1)
            raise

    async def stop(self, grace: float = 10.0) -> None:
        """Stop reading, let in-flight events finish for `grace` seconds, then cancel what remains."""
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        pending = set(self._stream_tasks)
        if pending:
            _, still_running = await asyncio.wait(pending, timeout=grace)
            for task in still_running:
                task.cancel()
            await asyncio.gather(*still_running, return_exceptions=True)
        await self._source.close()


class _GaveUp(Exception):
    def __init__(self, attempts: int, cause: Exception) -> None:
        super().__init__(f"gave up after {attempts} attempts")
        self.attempts = attempts
        self.cause = cause


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
