"""Keeps one projection up to date: pages of the log are folded in memory and written in one transaction
together with the checkpoint, so a crash can never leave the read model ahead of or behind it.

During a catch-up (a rebuild above all) the runner keeps the documents it folded in memory from page to
page (up to `cached_docs` of them), so a document many events touch is loaded once and written once per
flush rather than once per page, and a rebuild, which starts from an empty read model, loads nothing at
all. That cache is only trusted for the position it was folded to: every write states the checkpoint it
expects (the read model store refuses it with CheckpointMoved when anyone else moved the checkpoint
meanwhile, a replay or another runner), and on any refusal or error the cache is dropped and the
documents are loaded again; it is dropped too when the catch-up returns. A live runner writes after every
page; a catch-up writes after `flush_docs` changed documents or `flush_events` events, and before it
returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from domain.errors import PermanentError, Unavailable
from domain.events import Recorded
from infra.gc_pause import collector_paused
from infra.metrics import PROJECTION_POSITION
from infra.readmodel.contract import CheckpointMoved, Doc, DocKey, ReadModelStore
from infra.store.contract import EventStore
from infra.store.records import DeadLetter, StoredEvent
from projections.projection import Projection
from schemas.codec import EventCodec

log = logging.getLogger(__name__)

REBUILD_BATCH = 5000
"""Events per page read during a catch-up that has far to go (a rebuild): fewer round trips to the store."""


class ProjectionRunner:
    def __init__(self, projection: Projection, store: EventStore, views: ReadModelStore, codec: EventCodec,
                 *, batch: int = 1000, rebuild_batch: int = REBUILD_BATCH, cached_docs: int = 50_000,
                 flush_docs: int = 20_000, flush_events: int = 100_000) -> None:
        self.projection = projection
        self._store = store
        self._views = views
        self._codec = codec
        self._batch = batch
        self._rebuild_batch = max(batch, rebuild_batch)
        self._cached_docs = cached_docs
        self._flush_docs = flush_docs
        self._flush_events = flush_events
        # One fold at a time per runner: `run` and `catch_up` (the authenticator's) share the cache.
        self._lock = asyncio.Lock()
        self._docs: dict[DocKey, Doc | None] = {}
        """Documents as folded up to `_at` (None: known not to exist)."""
        self._complete = False
        """`_docs` holds every document that exists (right after a reset): a key not in it does not exist."""
        self._at = -1
        """The position `_docs` is folded to; -1 when nothing is cached."""
        self._saved = -1
        """The checkpoint this runner last wrote or read: what the next write expects to replace."""
        self._dirty: set[DocKey] = set()
        self._unsaved_events = 0

    @property
    def consumer(self) -> str:
        return f"projection:{self.projection.name}"

    async def catch_up(self, until: int | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything up to `until` (default: the head now); returns the checkpoint reached."""
        async with self._lock:
            target = await self._store.head_position() if until is None else until
            position = await self._start()
            batch = self._rebuild_batch if target - position > self._batch else self._batch
            try:
                while position < target:
                    moved = await self._fold_page(position, batch)
                    if moved == position:
                        break
                    position = moved
                    if self._should_flush():
                        position = await self._flush()
                    if progress is not None:
                        progress(position)
                if self._dirty or self._at != self._saved:
                    position = await self._flush()
            except BaseException:
                self._forget()
                raise
            self._release()
            return position

    async def run(self, idle_wait: float = 1.0) -> None:
        """Follow the log forever."""
        while True:
            try:
                async with self._lock:
                    position = await self._start()
                    try:
                        moved = await self._fold_page(position, self._batch)
                        if moved != position:
                            moved = await self._flush()
                    except BaseException:
                        self._forget()
                        raise
                    self._release()
                if moved == position:
                    await self._store.wait_for_new(position, idle_wait)
            except Unavailable as error:
                log.warning("%s: store unavailable: %s", self.consumer, error)
                await asyncio.sleep(0.5)

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget the read model and fold the whole log again."""
        async with self._lock:
            await self._views.reset(self.projection.name)
            # The read model is empty now: nothing needs loading until another writer says otherwise.
            self._forget()
            self._complete, self._at, self._saved = True, 0, 0
        return await self.catch_up(progress=progress)

    async def _start(self) -> int:
        """Where to fold from: the stored checkpoint; the cache stays only if it is folded to just there."""
        checkpoint = await self._views.checkpoint(self.projection.name)
        if checkpoint != self._at or self._dirty:
            self._forget()
            self._at = checkpoint
        self._saved = checkpoint
        return checkpoint

    def _forget(self) -> None:
        self._docs = {}
        self._complete = False
        self._at = self._saved = -1
        self._dirty = set()
        self._unsaved_events = 0

    def _release(self) -> None:
        """Drop the cached documents (all written) at the end of a catch-up or of a live page: between two
        calls another process may rebuild the read model, with other projection code even, and land on
        this very checkpoint, so documents are loaded afresh by the next call."""
        self._docs = {}
        self._complete = False

    def _should_flush(self) -> bool:
        return len(self._dirty) >= self._flush_docs or self._unsaved_events >= self._flush_events

    async def _fold_page(self, position: int, batch: int) -> int:
        """Fold one page after `position` into the cache; returns the position folded to.

        The cyclic garbage collector is paused from reading the page until its events are dropped (see
        infra/gc_pause.py): the awaits in between are one read of the store (and, when documents must be
        loaded, one load), so other coroutines run without it for milliseconds at most."""
        with collector_paused():
            page = await self._store.read_all(position, batch)
            if not page:
                return position
            keyed, parked = self._decode_page(page)
            for letter in parked:
                await self._store.park(letter)
            docs = self._docs
            if not self._complete:
                missing = list(dict.fromkeys(key for _, keys in keyed for key in keys if key not in docs))
                if missing:
                    found = await self._views.load(self.projection.name, missing)
                    for key in missing:
                        docs[key] = found.get(key)
            self._apply(keyed)
            self._unsaved_events += len(page)
            self._at = page[-1].position
            del page, keyed  # freed by reference counting before the collector is back
        return self._at

    def _decode_page(self, page: Sequence[StoredEvent]) -> tuple[list[tuple[Recorded, Sequence[DocKey]]],
                                                                   list[DeadLetter]]:
        projection, decode = self.projection, self._codec.decode_trusted
        wanted = projection.event_types
        keyed: list[tuple[Recorded, Sequence[DocKey]]] = []
        parked: list[DeadLetter] = []
        for stored in page:
            envelope = stored.envelope
            if envelope.type not in wanted:
                continue
            try:
                payload = decode(envelope.type, envelope.schema, stored.payload)
            except PermanentError as error:
                parked.append(DeadLetter(self.consumer, stored.position, envelope.event_id, stored.stream_id,
                                         envelope.type, str(error), 1))
                continue
            event = Recorded(envelope, payload)
            keyed.append((event, projection.keys(event)))
        return keyed, parked

    def _apply(self, keyed: list[tuple[Recorded, Sequence[DocKey]]]) -> None:
        apply, docs, dirty = self.projection.apply, self._docs, self._dirty
        for event, keys in keyed:
            if len(keys) == 1:
                key = keys[0]
                changes = apply(event, {key: docs.get(key)})
            else:
                changes = apply(event, {key: docs.get(key) for key in keys})
            docs.update(changes)
            dirty.update(changes)

    async def _flush(self) -> int:
        """Write the changed documents with the checkpoint; returns the checkpoint now stored."""
        name = self.projection.name
        changes = {key: self._docs[key] for key in self._dirty}
        try:
            await self._views.save(name, changes, self._saved, self._at)
        except CheckpointMoved:
            # A replay reset or advanced the read model meanwhile: carry on from where it is now.
            self._forget()
            self._saved = self._at = await self._views.checkpoint(name)
            return self._at
        self._saved = self._at
        self._dirty = set()
        self._unsaved_events = 0
        if len(self._docs) > self._cached_docs:
            self._docs = {}
            self._complete = False
        PROJECTION_POSITION.labels(name).set(self._at)
        return self._at
