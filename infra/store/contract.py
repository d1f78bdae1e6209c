"""The event store contract that SQLite and PostgreSQL both implement (and one test suite checks)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from domain.errors import Conflict, Unavailable
from infra.store.records import Append, DeadLetter, NewEvent, StoredEvent, Tracking


class AlreadyProcessed(Conflict):
    """The consumer's tracking record for this position exists: its effects were committed before."""

    def __init__(self, tracking: Tracking) -> None:
        super().__init__(f"{tracking.consumer} already handled the event at position {tracking.position}")
        self.tracking = tracking


class EventStore(Protocol):
    async def append(self, stream_id: str, events: Sequence[NewEvent], expected_version: int) -> list[StoredEvent]:
        """Atomically add events at versions expected_version+1...; a stale version raises StreamConflict,
        and re-sending events already stored with the same ids returns them unchanged (idempotent)."""

    async def commit(
        self, appends: Sequence[Append], tracking: Tracking | None = None, settles: Tracking | None = None
    ) -> list[StoredEvent]:
        """Appends to several streams and the consumer's tracking record, all or nothing.
        Raises AlreadyProcessed when the tracking record exists. `settles` names a dead letter that
        this commit resolves (a replay): it is removed in the same transaction."""

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]: ...

    async def stream_version(self, stream_id: str) -> int: ...

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """The global log in position order. Never returns a position while an earlier one may still commit."""

    def subscribe(self, after_position: int = 0, batch: int = 1000) -> AsyncIterator[StoredEvent]:
        """Catch up from `after_position`, then follow new events live, forever."""

    async def wait_for_new(self, after_position: int, timeout: float) -> None:
        """Return when an event beyond `after_position` may have committed, or after `timeout`."""

    async def head_position(self) -> int: ...

    async def commit_tracked(self, commits: Sequence[tuple[Sequence[Append], Tracking]]
                             ) -> list[list[StoredEvent] | None]:
        """Several commits (each a consumer's appends and its tracking record) in one transaction, for a
        worker that has many events done at once. In the result, None stands for a commit whose tracking
        record already existed: nothing of it is written, the others are. Any other failure (a stream
        conflict, an outage) raises, and then nothing at all is written."""

    async def is_tracked(self, consumer: str, position: int) -> bool: ...

    async def tracked(self, consumer: str, positions: Sequence[int]) -> set[int]:
        """Those of `positions` that `consumer` has tracking records for (is_tracked for many at once)."""

    async def checkpoint(self, consumer: str) -> int:
        """Where a consumer resumes: every position up to it is handled (0 at first)."""

    async def save_checkpoint(self, consumer: str, position: int) -> None: ...

    async def park(self, dead_letter: DeadLetter) -> None:
        """Record a dead letter and the consumer's tracking record, so the event is not retried on restart."""

    async def dead_letters(self, consumer: str | None = None) -> list[DeadLetter]: ...

    async def remove_dead_letter(self, consumer: str, position: int) -> None: ...

    async def close(self) -> None: ...


async def follow(store: EventStore, after_position: int, batch: int) -> AsyncIterator[StoredEvent]:
    """Catch-up then live subscription on top of `read_all` and `wait_for_new`. Outages of the store
    are waited out: the position is kept and reading resumes when the store is back."""
    position = after_position
    while True:
        try:
            events = await store.read_all(position, batch)
        except Unavailable:
            await asyncio.sleep(0.2)
            continue
        for event in events:
            yield event
            position = event.position
        if len(events) < batch:
            try:
                await store.wait_for_new(position, timeout=1.0)
            except Unavailable:
                await asyncio.sleep(0.2)
