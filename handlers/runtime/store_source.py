"""The embedded event source: a consumer follows the store's global log from its checkpoint."""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from domain.errors import Unavailable
from infra.store.contract import EventStore
from infra.store.records import StoredEvent


class StoreEventSource:
    """Delivers the log in position order; the checkpoint is the highest position below which every
    delivered event is done, saved at most every `checkpoint_interval` seconds (and on close).
    A restart redelivers what finished after the last save: tracking records make that harmless."""

    def __init__(self, store: EventStore, consumer: str, *, batch: int = 500,
                 checkpoint_interval: float = 0.5) -> None:
        self._store = store
        self._consumer = consumer
        self._batch = batch
        self._interval = checkpoint_interval
        self._in_flight: OrderedDict[int, None] = OrderedDict()  # delivered, not done; in position order
        self._last_delivered = 0
        self._saved = 0
        self._saved_at = time.monotonic()

    async def events(self) -> AsyncIterator[StoredEvent]:
        self._saved = self._last_delivered = await self._store.checkpoint(self._consumer)
        async for event in self._store.subscribe(self._saved, self._batch):
            self._in_flight[event.position] = None
            self._last_delivered = event.position
            yield event

    @property
    def watermark(self) -> int:
        if self._in_flight:
            return next(iter(self._in_flight)) - 1
        return self._last_delivered

    async def done(self, event: StoredEvent) -> None:
        self._in_flight.pop(event.position, None)
        if time.monotonic() - self._saved_at >= self._interval:
            with contextlib.suppress(Unavailable):  # saved again next time; redelivery is harmless
                await self._save()

    async def _save(self) -> None:
        self._saved_at = time.monotonic()
        watermark = self.watermark
        if watermark > self._saved:
            await self._store.save_checkpoint(self._consumer, watermark)
            self._saved = watermark

    async def close(self) -> None:
        with contextlib.suppress(Unavailable):
            await self._save()
