"""`--profile`: where the embedded appends and the replay spend their time.

cProfile sees only the thread it runs in, and the SQLite stores do their SQL on a worker thread of their
own. So the event-loop thread is profiled as usual, and the stores' thread work is profiled by a second
profiler switched on around each job they hand to their thread; the two are merged into one table.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from domain.events import DomainEvent
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.store.records import Append
from infra.store.sqlite import SqliteEventStore
from projections.runner import ProjectionRunner
from projections.workspaces import WorkspacesProjection
from schemas.codec import EventCodec

T = TypeVar("T")


class _ThreadProfile:
    def __init__(self) -> None:
        self.profile = cProfile.Profile()
        self.seconds = 0.0

    def wrap(self, function: Callable[[], T]) -> Callable[[], T]:
        def profiled() -> T:
            start = time.perf_counter()
            self.profile.enable()
            try:
                return function()
            finally:
                self.profile.disable()
                self.seconds += time.perf_counter() - start

        return profiled


class _ProfiledEventStore(SqliteEventStore):
    def __init__(self, path: Path, thread: _ThreadProfile) -> None:
        super().__init__(path)
        self._thread = thread

    async def _run(self, function: Callable[[], T]) -> T:
        return await super()._run(self._thread.wrap(function))


class _ProfiledViews(SqliteReadModelStore):
    def __init__(self, path: Path, thread: _ThreadProfile) -> None:
        super().__init__(path)
        self._thread = thread

    async def _run(self, function: Callable[[], T]) -> T:
        return await super()._run(self._thread.wrap(function))


class _TimedCodec(EventCodec):
    seconds = 0.0

    def decode(self, event_type: str, schema: str, payload: bytes) -> DomainEvent:
        start = time.perf_counter()
        try:
            return super().decode(event_type, schema, payload)
        finally:
            self.seconds += time.perf_counter() - start

    def decode_trusted(self, event_type: str, schema: str, payload: bytes) -> DomainEvent:
        start = time.perf_counter()
        try:
            return super().decode_trusted(event_type, schema, payload)
        finally:
            self.seconds += time.perf_counter() - start


async def profile_appends(path: Path, plan: Sequence[Sequence[Append]], top: int = 18) -> str:
    thread = _ThreadProfile()
    store = await _ProfiledEventStore(path, thread).open()
    loop = cProfile.Profile()
    try:
        start = time.perf_counter()
        loop.enable()
        for tx in plan:
            await store.commit(tx)
        loop.disable()
        wall = time.perf_counter() - start
    finally:
        await store.close()
    events = sum(len(a.events) for tx in plan for a in tx)
    head = (f"appends under cProfile: {events} events in {wall:.2f}s; store thread busy {thread.seconds:.2f}s "
            f"({thread.seconds / wall:.0%}), the rest is the event loop (building records, executor hand-off)")
    return f"{head}\n{top_table('appends', [loop, thread.profile], top)}"


async def profile_replay(path: Path, top: int = 18) -> str:
    thread = _ThreadProfile()
    store = await _ProfiledEventStore(path, thread).open()
    views = await _ProfiledViews(path, thread).open()
    codec = _TimedCodec()
    loop = cProfile.Profile()
    try:
        events = await store.head_position()
        runner = ProjectionRunner(WorkspacesProjection(), store, views, codec)
        start = time.perf_counter()
        loop.enable()
        await runner.rebuild()
        loop.disable()
        wall = time.perf_counter() - start
    finally:
        await views.close()
        await store.close()
    head = (f"replay under cProfile: {events} events in {wall:.2f}s; SQLite threads busy {thread.seconds:.2f}s "
            f"({thread.seconds / wall:.0%}), codec.decode {codec.seconds:.2f}s ({codec.seconds / wall:.0%})")
    return f"{head}\n{top_table('replay', [loop, thread.profile], top)}"


def top_table(title: str, profiles: Sequence[cProfile.Profile | str], top: int) -> str:
    parts = []
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(*profiles, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        parts.append(f"{title}, by {order}:\n" + "\n".join(lines[start:]).rstrip())
    return "\n\n".join(parts)
