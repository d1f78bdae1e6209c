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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from domain.errors import StreamConflict, TemporaryError, Unavailable
from domain.events import Recorded
from handlers.runtime.batching import Coalescer
from handlers.runtime.handler import Handler, HandlerContext
from handlers.runtime.source import EventSource
from infra.logs import correlation_id
from infra.metrics import EVENTS_HANDLED, EVENTS_PARKED, HANDLER_SECONDS
from infra.store.contract import AlreadyProcessed, EventStore
from infra.store.records import Append, DeadLetter, StoredEvent, Tracking
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
        # Per stream: its events in order, each with the answer (asked when it arrived) to "is it tracked?".
        self._queues: dict[str, deque[tuple[StoredEvent, asyncio.Future[bool] | None]]] = {}
        self._queued: dict[int, int] = {}  # position -> how many deliveries of it are queued (duplicates)
        self._stream_tasks: set[asyncio.Task[None]] = set()
        # Per stream: events decided without effects whose tracking records are still being committed.
        self._landing: dict[str, list[tuple[StoredEvent, _Landing]]] = {}
        self._reader: asyncio.Task[None] | None = None
        # Each stream's task asks the store per event; asked together, they cost one round trip a batch.
        self._tracked = Coalescer(self._tracked_among)
        self._commits = Coalescer(self._commit_together)
        self._handled_total = EVENTS_HANDLED.labels(handler.name)
        self._parked_total = EVENTS_PARKED.labels(handler.name)
        self._handler_seconds = HANDLER_SECONDS.labels(handler.name)
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
        # Asked now, the tracking records of every event that arrives together (a fetched batch) are looked
        # up in one query. A record found now stays; one committed later by another worker (a rebalance)
        # is still caught by the commit, which refuses a second tracking record. A second delivery of an
        # event still queued here, or whose record is still landing (the relay published it twice), asks
        # when its turn comes, after the first is done.
        position = event.position
        queued = self._queued.get(position, 0)
        self._queued[position] = queued + 1
        tracked = None
        if not queued and event.envelope.type in self.handler.event_types:
            tracked = self._tracked.submit(position)
        entry = (event, tracked)
        queue = self._queues.get(event.stream_id)
        if queue is not None:
            queue.append(entry)  # that stream's task is running and will get to it in order
            return
        self._queues[event.stream_id] = deque([entry])
        task = asyncio.create_task(self._drain(event.stream_id), name=f"{self.name}:{event.stream_id}")
        self._stream_tasks.add(task)
        task.add_done_callback(self._stream_tasks.discard)

    async def _drain(self, stream_id: str) -> None:
        queue = self._queues[stream_id]
        # Events decided without effects do not wait for their tracking records: the stream goes on (the
        # next event's handler cannot depend on an event that changed nothing), and each is done once its
        # record is in. The next effects of the stream are committed only after those records (see
        # _handle_with_retries), so an event redelivered after a crash is decided again on the same state.
        landing = self._landing.setdefault(stream_id, [])
        try:
            while queue:
                event, tracked = queue[0]
                if landing and any(decided.position == event.position for decided, _ in landing):
                    await self._land_all(landing)  # a second delivery: the first's record must be in first
                pending = await self._process(event, tracked)
                queue.popleft()
                if pending is not None:
                    landing.append((event, pending))  # still counted as queued: see _enqueue
                else:
                    self._dequeued(event.position)
                    self._capacity.release()
                    await self._source.done(event)
                if landing and (not queue or len(landing) >= _MAX_LANDING):
                    await self._land_all(landing)
        finally:
            if self._queues.get(stream_id) is queue and not queue:
                del self._queues[stream_id]
                if self._landing.get(stream_id) is landing and not landing:
                    del self._landing[stream_id]

    async def _land_all(self, landing: list[tuple[StoredEvent, _Landing]]) -> None:
        while landing:
            decided, record = landing[0]
            await self._land(decided, record)
            del landing[0]

    async def _land(self, stored: StoredEvent, pending: _Landing) -> None:
        """Wait for the tracking record of an event decided without effects; only the record is tried again
        after a failure (deciding again could now decide differently, after later events)."""
        delay = self._retry.initial_wait
        while True:
            try:
                try:
                    await pending
                except (AlreadyProcessed, Unavailable):
                    raise
                except Exception as error:  # as _process_once does with what a commit raises
                    await self._park(stored, _describe(error), 1)
                else:
                    self.handled += 1
                    self._handled_total.inc()
            except AlreadyProcessed:
                pass
            except Exception as error:  # the store is out (or failed parking): the stream waits it out
                log.warning("%s: could not commit the tracking record of position %s, retrying: %r", self.name,
                            stored.position, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry.max_wait)
                pending = self._commits.submit(((), Tracking(self.name, stored.position)))
                continue
            break
        self._dequeued(stored.position)
        self._capacity.release()
        await self._source.done(stored)

    def _dequeued(self, position: int) -> None:
        left = self._queued.pop(position) - 1
        if left:
            self._queued[position] = left

    async def _process(self, stored: StoredEvent, tracked: asyncio.Future[bool] | None = None) -> _Landing | None:
        """Handle one event, waiting out any outage of the store however long it lasts. Returns the commit
        of its tracking record when the handler decided no effects and the record is still on its way."""
        if stored.envelope.type not in self.handler.event_types:
            return None
        delay = self._retry.initial_wait
        while True:
            try:
                return await self._process_once(stored, tracked)
            except Unavailable as error:
                tracked = None  # ask again: the failed attempt may have committed after all
                log.warning("%s: store unavailable at position %s, retrying: %s", self.name, stored.position, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry.max_wait)
            except Exception:
                # Not the handler's (that is parked): the store failed checking tracking or parking.
                # Retry; letting this stream's task die would leave its queue undrained for good.
                tracked = None
                log.exception("%s: unexpected failure at position %s, retrying", self.name, stored.position)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry.max_wait)

    async def _process_once(self, stored: StoredEvent, tracked: asyncio.Future[bool] | None) -> _Landing | None:
        if tracked is None:
            tracked = self._tracked.submit(stored.position)
        if await tracked:
            return None  # redelivered after its effects were committed
        correlation_id.set(str(stored.envelope.correlation_id))  # this stream's task only: logs carry it
        try:
            with self._handler_seconds.time():
                return await self._handle_with_retries(stored, Tracking(self.name, stored.position))
        except Unavailable:
            raise
        except AlreadyProcessed:
            return None
        except _GaveUp as gave_up:
            await self._park(stored, f"gave up after {gave_up.attempts} attempts: {gave_up.cause!r}",
                             gave_up.attempts)
        except Exception as error:  # a handler's bug must park its event, never kill the worker
            await self._park(stored, _describe(error), 1)
        return None

    async def _handle_with_retries(self, stored: StoredEvent, tracking: Tracking | None,
                                   settles: Tracking | None = None) -> _Landing | None:
        """Decide and commit; a decision without effects only starts the commit of its tracking record
        and returns it (counted as handled once it is in)."""
        event = Recorded(stored.envelope, self._codec.decode(stored.envelope.type, stored.envelope.schema,
                                                             stored.payload))

        async def attempt() -> _Landing | None:
            appends = await self.handler.handle(event, self._context)
            try:
                if tracking is not None and settles is None:
                    if not appends:
                        return self._commits.submit(((), tracking))
                    landing = self._landing.get(stored.stream_id)
                    if landing:
                        await self._land_all(landing)  # effects follow the records of the stream's earlier events
                    await self._commits.ask((appends, tracking))
                else:
                    await self._store.commit(appends, tracking, settles)
            except StreamConflict as conflict:
                # The stream moved on while we decided: decide again on the new state.
                raise TemporaryError(str(conflict)) from conflict
            return None

        try:
            pending = await attempt()  # most events succeed at once: tenacity's machinery only after a failure
        except Unavailable:
            raise
        except TemporaryError as first_failure:
            if self._retry.attempts <= 1:
                raise _GaveUp(1, first_failure) from first_failure
            pending = await self._retry_after(first_failure, attempt)
        if pending is None:
            self.handled += 1
            self._handled_total.inc()
        return pending

    async def _retry_after(self, first_failure: TemporaryError,
                           attempt: Callable[[], Awaitable[_Landing | None]]) -> _Landing | None:
        """The retries after a first attempt failed with `first_failure`: that attempt counts as tenacity's
        first (so the waits and the number of attempts are the policy's), the others call `attempt`."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TemporaryError),
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_exponential_jitter(multiplier=self._retry.initial_wait, max=self._retry.max_wait,
                                        jitter=self._retry.initial_wait),
            reraise=True,
        )
        attempt_number = 1
        replayed: TemporaryError | None = first_failure
        try:
            async for retry in retrying:
                with retry:
                    attempt_number = retry.retry_state.attempt_number
                    if replayed is not None:
                        failure, replayed = replayed, None
                        raise failure
                    return await attempt()
        except Unavailable:
            raise
        except TemporaryError as error:
            raise _GaveUp(attempt_number, error) from error
        raise AssertionError("tenacity stopped without a result or an error")

    async def _tracked_among(self, positions: list[int]) -> list[bool]:
        found = await self._store.tracked(self.name, positions)
        return [position in found for position in positions]

    async def _commit_together(self, commits: list[tuple[Sequence[Append], Tracking]]
                               ) -> list[list[StoredEvent] | BaseException]:
        """Commit several events' effects, each with its tracking record, in one transaction; when one of
        them spoils it (a stream conflict...), commit each on its own, so each gets its own outcome."""
        if len(commits) > 1:
            try:
                together = await self._store.commit_tracked(commits)
            except Unavailable as error:
                # On its own, each would meet the same outage (one exception each: each is raised in its task).
                return [Unavailable(str(error)) for _ in commits]
            except Exception:  # told apart below, commit by commit
                pass
            else:
                return [AlreadyProcessed(tracking) if stored is None else stored
                        for stored, (_, tracking) in zip(together, commits, strict=True)]
        outcomes: list[list[StoredEvent] | BaseException] = []
        for appends, tracking in commits:
            try:
                outcomes.append(await self._store.commit(appends, tracking))
            except Exception as error:  # the requester's to handle
                outcomes.append(error)
        return outcomes

    async def _park(self, stored: StoredEvent, error: str, attempts: int) -> None:
        log.error("%s: parked %s at position %s: %s", self.name, stored.envelope.type, stored.position, error)
        await self._store.park(DeadLetter(self.name, stored.position, stored.envelope.event_id, stored.stream_id,
                                          stored.envelope.type, error, attempts))
        self.parked += 1
        self._parked_total.inc()

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
        await self._tracked.close()
        await self._commits.close()
        await self._source.close()


_Landing = asyncio.Future[list[StoredEvent]]
"""The commit of a tracking record on its way (see Worker._drain)."""
_MAX_LANDING = 100
"""Events of one stream whose tracking records may be on their way at once."""


class _GaveUp(Exception):
    def __init__(self, attempts: int, cause: Exception) -> None:
        super().__init__(f"gave up after {attempts} attempts")
        self.attempts = attempts
        self.cause = cause


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
