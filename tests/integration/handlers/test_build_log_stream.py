"""The builder's log sink: every line a build printed reaches the image stream, also when the build ends while a
periodic flush is still appending (a cancel there used to drop the batch it had taken)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from domain.envelope import Cause
from domain.image.events import ImageBuildLog
from handlers.builder import _streamed_log
from handlers.runtime.handler import HandlerContext
from infra.store.records import Append
from infra.store.sqlite import SqliteEventStore
from schemas.codec import EventCodec

STREAM = "image-0123456789abcdef"


class HeldCommits:
    """The real store, whose first commit waits until the test lets it go."""

    def __init__(self, store: SqliteEventStore) -> None:
        self._store = store
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def commit(self, appends: Sequence[Append]) -> Any:
        if not self.entered.is_set():
            self.entered.set()
            await self.release.wait()
        return await self._store.commit(appends)


async def test_a_build_ending_during_a_flush_loses_no_line(sqlite_store: SqliteEventStore) -> None:
    held = HeldCommits(sqlite_store)
    codec = EventCodec()
    context = HandlerContext(held, codec)  # type: ignore[arg-type]

    async def build() -> None:
        async with _streamed_log(context, STREAM, Cause("builder")) as log:
            log("first")
            await held.entered.wait()  # the periodic flush took "first" and is appending it
            log("last")
        # leaving: the sink stops while that append is still under way

    building = asyncio.create_task(build())
    await held.entered.wait()
    await asyncio.sleep(0.05)  # the build has ended and is waiting for the sink to finish
    held.release.set()
    await asyncio.wait_for(building, 10)
    stored = await sqlite_store.read_stream(STREAM)
    lines = []
    for event in stored:
        payload = codec.decode(event.envelope.type, event.envelope.schema, event.payload)
        assert isinstance(payload, ImageBuildLog)
        lines.extend(payload.lines)
    assert lines == ["first", "last"]
