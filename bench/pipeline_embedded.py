"""The embedded measurements: SQLite appends, append->handler latency, projection replay; each with its floor."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro import parse_schema, schemaless_reader
from pipeline_handler import TimingHandler
from pipeline_workload import Workspace, event_count, singles, sqlite_rows

from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import Worker
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.sqlite_thread import connect
from infra.store.records import Append
from infra.store.sql import EVENT_COLUMNS
from infra.store.sqlite import SCHEMA, SqliteEventStore
from projections.runner import ProjectionRunner
from projections.workspaces import COLLECTION, WorkspacesProjection
from schemas.codec import EventCodec
from schemas.registry import default_registry

_INSERT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_PAGE = f"SELECT {EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
REPLAY_PAGE = 1000
"""The projection runner's default page size, used by the floor too."""


@dataclass(frozen=True, slots=True)
class Rate:
    events: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


# -- 1. appends ----------------------------------------------------------------------------------


def raw_inserts(path: Path, rows: Sequence[Sequence[tuple[Any, ...]]]) -> Rate:
    """The floor: the same rows, same schema and PRAGMAs (the store's own `connect`), inserted with
    plain sqlite3 in transactions of the same size."""
    db = connect(path)
    try:
        db.executescript(SCHEMA)
        start = time.perf_counter()
        for tx_rows in rows:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(_INSERT, tx_rows)
            db.execute("COMMIT")
        seconds = time.perf_counter() - start
    finally:
        db.close()
    return Rate(sum(len(tx) for tx in rows), seconds)


async def store_appends(path: Path, plan: Sequence[Sequence[Append]]) -> Rate:
    """The real SqliteEventStore committing each planned transaction, one after the other."""
    store = await SqliteEventStore(path).open()
    try:
        start = time.perf_counter()
        for tx in plan:
            await store.commit(tx)
        seconds = time.perf_counter() - start
    finally:
        await store.close()
    return Rate(event_count(plan), seconds)


@dataclass(frozen=True, slots=True)
class AppendFigures:
    store: Rate
    floor: Rate
    log: Path
    """The store's log of the best run, kept for the replay."""


async def measure_appends(directory: Path, plan: Sequence[Sequence[Append]], repeats: int) -> AppendFigures:
    """Best of `repeats` runs of each, every run on a fresh file. Floor and store runs alternate, so a
    burst of other load on the machine hits both rather than one."""
    rows = sqlite_rows(plan)
    floors: list[Rate] = []
    stores: list[tuple[Rate, Path]] = []
    for run in range(repeats):
        floors.append(raw_inserts(directory / f"floor-{run}.db", rows))
        _remove_db(directory / f"floor-{run}.db")
        path = directory / f"store-{run}.db"
        stores.append((await store_appends(path, plan), path))
    best, log = max(stores, key=lambda pair: pair[0].per_s)
    for _, path in stores:
        if path != log:
            _remove_db(path)
    return AppendFigures(best, max(floors, key=lambda rate: rate.per_s), log)


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# -- 2. append -> handler latency ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LatencyFigures:
    latencies_ms: list[float]
    append_ms: list[float]
    """How long each append call itself took: the floor of the latency."""
    offered_per_s: float
    achieved_per_s: float


async def measure_latency(path: Path, spaces: Sequence[Workspace], rate: float,
                          timeout: float = 60.0) -> LatencyFigures:
    """A Worker on a StoreEventSource in this process while one-event appends arrive at `rate`/s;
    latency = monotonic time from the append call starting to the handler receiving the event."""
    store = await SqliteEventStore(path).open()
    appends = list(singles(spaces))
    handler = TimingHandler("bench-latency", time.monotonic, expected=len(appends))
    worker = Worker(handler, StoreEventSource(store, handler.name), store, EventCodec())
    running = asyncio.create_task(worker.run())
    sent: dict[Any, float] = {}
    append_ms: list[float] = []
    try:
        await asyncio.sleep(0.2)  # the worker reaches its live wait before the first append
        start = time.monotonic()
        for index, append in enumerate(appends):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[append.events[0].event_id] = at = time.monotonic()
            await store.commit([append])
            append_ms.append((time.monotonic() - at) * 1000)
        appended = time.monotonic() - start
        async with asyncio.timeout(timeout):
            await handler.all_received.wait()
    finally:
        await worker.stop(grace=5.0)
        await asyncio.gather(running, return_exceptions=True)
        await store.close()
    latencies = [(handler.received[event_id] - at) * 1000 for event_id, at in sent.items()]
    return LatencyFigures(latencies, append_ms, rate, len(sent) / appended if appended > 0 else 0.0)


# -- 3. replay -----------------------------------------------------------------------------------


def write_log(path: Path, plan: Sequence[Sequence[Append]]) -> Path:
    """The log of `plan` as the store would write it, inserted with plain sqlite3 (for `--only replay`)."""
    raw_inserts(path, sqlite_rows(plan))
    return path


def raw_reads(path: Path, page: int = REPLAY_PAGE) -> Rate:
    """The floor: every event of the log read with plain sqlite3, paged by position like the runner."""
    db = connect(path)
    try:
        start = time.perf_counter()
        events, position = 0, 0
        while rows := db.execute(_PAGE, (position, page)).fetchall():
            events += len(rows)
            position = rows[-1][0]
        seconds = time.perf_counter() - start
    finally:
        db.close()
    return Rate(events, seconds)


def raw_reads_decoded(path: Path, page: int = REPLAY_PAGE) -> Rate:
    """The second floor: the same paged reads, and every payload decoded by fastavro into a dict, the
    fastest way fastavro offers: schemas parsed once per writer fingerprint (with fastavro's own marker,
    so it does not parse them again per call), the reader schema passed only when the writer's is an
    older version to resolve. No envelope, no model, no fold, no write."""
    registry = default_registry()
    schemas: dict[str, tuple[Any, Any]] = {}
    db = connect(path)
    try:
        start = time.perf_counter()
        events, position = 0, 0
        while rows := db.execute(_PAGE, (position, page)).fetchall():
            for row in rows:
                pair = schemas.get(row[6])
                if pair is None:
                    writer, current = registry.by_fingerprint(row[5], row[6]), registry.current(row[5])
                    pair = schemas[row[6]] = (parse_schema(writer.raw), None if writer is current
                                              else parse_schema(current.raw))
                schemaless_reader(io.BytesIO(row[11]), pair[0], pair[1])
            events += len(rows)
            position = rows[-1][0]
        seconds = time.perf_counter() - start
    finally:
        db.close()
    return Rate(events, seconds)


async def rebuild(path: Path, codec: EventCodec) -> tuple[Rate, int]:
    """ProjectionRunner.rebuild of the workspaces read model (kept in the same file, as the embedded
    mode does); returns the rate and the number of documents built."""
    store = await SqliteEventStore(path).open()
    views = await SqliteReadModelStore(path).open()
    try:
        events = await store.head_position()
        runner = ProjectionRunner(WorkspacesProjection(), store, views, codec, batch=REPLAY_PAGE)
        start = time.perf_counter()
        await runner.rebuild()
        seconds = time.perf_counter() - start
        docs = len(await views.list(WorkspacesProjection.name, COLLECTION))
    finally:
        await views.close()
        await store.close()
    return Rate(events, seconds), docs


@dataclass(frozen=True, slots=True)
class ReplayFigures:
    runner: Rate
    floor: Rate
    floor_decoded: Rate
    """Raw reads plus the Avro decoding of every payload: a second, fairer floor shown beside the first."""
    docs: int


async def measure_replay(path: Path, repeats: int) -> ReplayFigures:
    """Best of `repeats` runs of each, floor and runner alternating."""
    codec = EventCodec()
    floors: list[Rate] = []
    decoded: list[Rate] = []
    runs: list[tuple[Rate, int]] = []
    for _ in range(repeats):
        floors.append(raw_reads(path))
        decoded.append(raw_reads_decoded(path))
        runs.append(await rebuild(path, codec))
    best, docs = max(runs, key=lambda run: run[0].per_s)
    return ReplayFigures(best, max(floors, key=lambda rate: rate.per_s), max(decoded, key=lambda rate: rate.per_s),
                         docs)
