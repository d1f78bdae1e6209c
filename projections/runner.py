"""Keeps one projection up to date: pages of the log are folded in memory and written in one transaction
together with the checkpoint, so a crash can never leave the read model ahead of or behind it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from domain.errors import PermanentError, Unavailable
from domain.events import Recorded
from infra.metrics import PROJECTION_POSITION
from infra.readmodel.contract import CheckpointMoved, Doc, DocKey, ReadModelStore
from infra.store.contract import EventStore
from infra.store.records import DeadLetter, StoredEvent
from projections.projection import Projection
from schemas.codec import EventCodec

log = logging.getLogger(__name__)


class ProjectionRunner:
    def __init__(self, projection: Projection, store: EventStore, views: ReadModelStore, codec: EventCodec,
                 *, batch: int = 1000) -> None:
        self.projection = projection
        self._store = store
        self._views = views
        self._codec = codec
        self._batch = batch

    @property
    def consumer(self) -> str:
        return f"projection:{self.projection.name}"

    async def catch_up(self, until: int | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything up to `until` (default: the head now); returns the checkpoint reached."""
        target = await self._store.head_position() if until is None else until
        position = await self._views.checkpoint(self.projection.name)
        while position < target:
            position = await self._step(position)
            if progress is not None:
                progress(position)
        return position

    async def run(self, idle_wait: float = 1.0) -> None:
        """Follow the log forever."""
        position = await self._views.checkpoint(self.projection.name)
        while True:
            try:
                moved = await self._step(position)
                if moved == position:
                    await self._store.wait_for_new(position, idle_wait)
                position = moved
            except Unavailable as error:
                log.warning("%s: store unavailable: %s", self.consumer, error)
                await asyncio.sleep(0.5)

    async def _step(self, position: int) -> int:
        """Apply one page after `position`; returns the new checkpoint."""
        page = await self._store.read_all(position, self._batch)
        if not page:
            return position
        events: list[Recorded] = []
        for stored in page:
            if stored.envelope.type in self.projection.event_types:
                decoded = await self._decode(stored)
                if decoded is not None:
                    events.append(decoded)
        keyed = [(event, self.projection.keys(event)) for event in events]
        keys = [key for _, event_keys in keyed for key in event_keys]
        working: dict[DocKey, Doc | None] = dict.fromkeys(keys)
        working.update(await self._views.load(self.projection.name, keys))
        for event, event_keys in keyed:
            working.update(self.projection.apply(event, {key: working[key] for key in event_keys}))
        new_position = page[-1].position
        try:
            await self._views.save(self.projection.name, working, position, new_position)
        except CheckpointMoved:
            # A replay reset or advanced the read model meanwhile: carry on from where it is now.
            return await self._views.checkpoint(self.projection.name)
        PROJECTION_POSITION.labels(self.projection.name).set(new_position)
        return new_position

    async def _decode(self, stored: StoredEvent) -> Recorded | None:
        try:
            payload = self._codec.decode(stored.envelope.type, stored.envelope.schema, stored.payload)
        except PermanentError as error:
            await self._store.park(DeadLetter(self.consumer, stored.position, stored.envelope.event_id,
                                              stored.stream_id, stored.envelope.type, str(error), 1))
            return None
        return Recorded(stored.envelope, payload)

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget the read model and fold the whole log again."""
        await self._views.reset(self.projection.name)
        return await self.catch_up(progress=progress)
