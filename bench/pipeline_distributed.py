"""The distributed measurement: PostgresEventStore -> KafkaRelay -> Kafka -> worker processes.

Everything it makes is its own and removed at the end, on failure or Ctrl-C too: a fresh PostgreSQL
schema, a fresh topic prefix, a consumer group, the worker processes and their files.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from pipeline_cpu import busy_since, machine_ticks, used_since
from pipeline_cpu import snapshot as cpu_snapshot
from pipeline_embedded import Rate
from pipeline_processes import DistributedError, WorkerProcess, check_alive, outages_logged, start_worker, stop_all
from pipeline_profile import top_table
from pipeline_services import cancel, delete_topics, drop_schema
from pipeline_workload import Workspace, event_count, singles, transactions, workspaces

from infra.kafka import headers
from infra.kafka import relay as relay_module
from infra.kafka.relay import KafkaRelay, producer_settings
from infra.kafka.topics import DEFAULT_PARTITIONS, ensure_topics
from infra.store.postgres import PostgresEventStore
from infra.store.records import Append, StoredEvent
from schemas.codec import EventCodec

RELAY_BATCH = 500
"""KafkaRelay's default batch size; the producer floor sends in batches of the same size."""


@dataclass
class DistributedFigures:
    events: int
    seconds: float
    """From the first timed append starting to the last tracking record committed."""
    latencies_ms: list[float]
    appended_s: float
    """When the last append returned, from the first one starting."""
    relayed_s: float
    """When the relay had published every event (sampled every 10 ms)."""
    received_s: float
    """When the last event reached a handler."""
    floor: Rate = field(default_factory=lambda: Rate(0, 0.0))
    """The aiokafka producer alone sending the same records."""
    per_worker: list[int] = field(default_factory=list)
    """Timed events handled by each worker process."""
    machine_busy: float | None = None
    """Share of all cores' time not idle during the timed run (from /proc/stat), 0..1."""
    parent_cpu_s: float = 0.0
    """CPU seconds of this process (appender and relay) during the timed run."""
    workers_cpu_s: float = 0.0
    """CPU seconds of the worker processes, their whole life (start-up and warm-up included)."""
    worker_cpu_ms_per_event: float | None = None
    """Worker CPU per handled event, from each worker's first event on (start-up excluded)."""
    appends_alone: Rate = field(default_factory=lambda: Rate(0, 0.0))
    """The same appends into the same store with nothing else running (relay and workers stopped)."""
    relay_alone: Rate = field(default_factory=lambda: Rate(0, 0.0))
    """KafkaRelay.catch_up publishing those appends with nothing else running."""
    cpu_by_part: dict[str, float] = field(default_factory=dict)
    """CPU seconds used during the timed run by this process, the workers, PostgreSQL, Kafka, the rest."""
    disturbances: int = 0
    """Outages waited out during the run (relay reconnections, workers' unavailable stores or brokers):
    other work on the machine restarted a service, and the figures do not describe the pipeline."""
    profile: str = ""

    @property
    def per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def measure_distributed(dsn: str, bootstrap: str, spaces: Sequence[Workspace], warm: Sequence[Workspace],
                              directory: Path, *, workers: int = 4, partitions: int = DEFAULT_PARTITIONS,
                              profile: bool = False) -> DistributedFigures:
    """With `profile`, every process runs under cProfile (slower: for finding costs, not for figures)."""
    tag = uuid.uuid4().hex[:10]
    schema, prefix, group = f"bench_{tag}", f"bench{tag}.berth.", f"bench-{tag}"
    async with contextlib.AsyncExitStack() as cleanup:
        # Undone last to first: workers stop, the relay stops, the store closes, topics go, the schema goes.
        cleanup.push_async_callback(drop_schema, dsn, schema)
        cleanup.push_async_callback(delete_topics, bootstrap, prefix, group)
        store = await PostgresEventStore(dsn, schema=schema).open()
        cleanup.push_async_callback(store.close)
        await ensure_topics(bootstrap, ["workspace", "floor"], prefix=prefix, partitions=partitions)
        relay = KafkaRelay(store, bootstrap, prefix=prefix, partitions=partitions, batch_size=RELAY_BATCH)
        relay_task = asyncio.create_task(relay.run(), name="bench-relay")
        cleanup.push_async_callback(cancel, relay_task)
        processes: list[WorkerProcess] = []
        cleanup.push_async_callback(stop_all, processes)
        for index in range(workers):
            stats = directory / f"worker-{index}.prof" if profile else None
            processes.append(await start_worker(index, directory, dsn, bootstrap, schema, prefix, group, partitions,
                                                 stats))
        warm_events = await _warm_up(store, warm, processes, group, relay_task)

        samples: list[tuple[float, int]] = []
        sampler = asyncio.create_task(_sample(relay, samples))
        cleanup.push_async_callback(cancel, sampler)
        parent_profile = cProfile.Profile(time.thread_time) if profile else None
        outages = _OutageCounter()
        logging.getLogger(relay_module.__name__).addHandler(outages)
        cleanup.callback(logging.getLogger(relay_module.__name__).removeHandler, outages)
        timed = await _timed_run(store, transactions(spaces), warm_events, group, processes, relay_task,
                                 parent_profile)
        sampler.cancel()

        reports = await stop_all(processes)
        await cancel(relay_task)
        figures = _figures(timed, reports, samples)
        figures.disturbances = outages.count + outages_logged(directory)
        figures.appends_alone, figures.relay_alone = await _stages_alone(store, bootstrap, prefix, partitions,
                                                                         len(spaces))
        # Best of two: a burst of other load on the machine would otherwise lower the floor.
        floors = [await producer_floor(bootstrap, prefix + "floor", timed.stored) for _ in range(2)]
        figures.floor = max(floors, key=lambda rate: rate.per_s)
        if parent_profile is not None:
            figures.profile = _profile_text(parent_profile, directory)
        return figures
    raise AssertionError("unreachable")  # an exit stack that swallowed an exception


class _OutageCounter(logging.Handler):
    """Counts the relay's warnings: each is an outage of Kafka or of the store that it waited out."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@dataclass
class _Timed:
    """What the timed run saw from this side: when each event's append started, by position."""

    started: dict[int, float]
    stored: list[StoredEvent]
    first: float
    appended: float
    total: int
    """Events the workers handled in all, the warm-up's included."""
    machine_busy: float | None
    parent_cpu_s: float
    cpu_by_part: dict[str, float]


async def _timed_run(store: PostgresEventStore, plan: Sequence[Sequence[Append]], warm_events: int, group: str,
                     processes: Sequence[WorkerProcess], relay: asyncio.Task[None],
                     profile: cProfile.Profile | None) -> _Timed:
    """Append the plan as fast as one writer can, then wait until the workers have handled all of it."""
    started: dict[int, float] = {}
    stored: list[StoredEvent] = []
    worker_pids = {worker.process.pid for worker in processes}
    busy, cpu, usage = machine_ticks(), time.process_time(), cpu_snapshot(worker_pids)
    if profile is not None:
        profile.enable()
    first = time.time()
    for tx in plan:
        at = time.time()
        for event in await store.commit(tx):
            started[event.position] = at
            stored.append(event)
    appended = time.time()
    total = warm_events + event_count(plan)
    await _wait_tracked(store, group, total, processes, relay, timeout=60.0 + total / 200)
    if profile is not None:
        profile.disable()
    return _Timed(started, stored, first, appended, total, busy_since(busy), time.process_time() - cpu,
                  used_since(usage, cpu_snapshot(worker_pids)))


def _figures(timed: _Timed, reports: Sequence[dict[str, Any]], samples: Sequence[tuple[float, int]]
             ) -> DistributedFigures:
    """Join the workers' reports (handled times by position, received times by event id) to the appends."""
    committed: dict[int, float] = {}
    received: dict[str, float] = {}
    per_worker = []
    for report in reports:
        mine = {int(position): at for position, at in report["committed"].items()}
        per_worker.append(sum(1 for position in mine if position in timed.started))
        committed.update(mine)
        received.update(report["received"])
    missing = [position for position in timed.started if position not in committed]
    if missing:
        raise DistributedError(f"{len(missing)} events have no committed tracking record in any worker's report")
    last = max(committed[position] for position in timed.started)
    busy_cpu = sum(float(r["cpu_s"]) - float(r["cpu_at_first_s"]) for r in reports if r["cpu_at_first_s"])
    handled = sum(int(report["handled"]) for report in reports)
    return DistributedFigures(
        events=len(timed.started),
        seconds=last - timed.first,
        latencies_ms=[(committed[position] - at) * 1000 for position, at in timed.started.items()],
        appended_s=timed.appended - timed.first,
        relayed_s=next((at for at, published in samples if published >= timed.total), last) - timed.first,
        received_s=max(received[str(event.envelope.event_id)] for event in timed.stored) - timed.first,
        per_worker=per_worker,
        machine_busy=timed.machine_busy,
        parent_cpu_s=timed.parent_cpu_s,
        workers_cpu_s=sum(float(report["cpu_s"]) for report in reports),
        cpu_by_part=timed.cpu_by_part,
        worker_cpu_ms_per_event=busy_cpu / handled * 1000 if handled else None,
    )


async def producer_floor(bootstrap: str, topic: str, events: Sequence[StoredEvent], batch: int = RELAY_BATCH) -> Rate:
    """The aiokafka producer alone, configured as the relay's (idempotent, acks=all, linger), sending the
    same keys, payloads and headers in batches of the relay's size: send all, then await every ack."""
    records = [(event.stream_id.encode(), event.payload, headers.encode(event.envelope)) for event in events]
    producer = AIOKafkaProducer(**producer_settings(bootstrap, client_id="berth-bench-floor"))
    await producer.start()
    try:
        # The relay's producer had the topic metadata before the timed run too (from the warm-up).
        key, value, header = records[0]
        await (await producer.send(topic, value=value, key=key, headers=header))
        start = time.perf_counter()
        for index in range(0, len(records), batch):
            acks = [await producer.send(topic, value=value, key=key, headers=header)
                    for key, value, header in records[index:index + batch]]
            await asyncio.gather(*acks)
        seconds = time.perf_counter() - start
    finally:
        await producer.stop()
    return Rate(len(records), seconds)


async def _stages_alone(store: PostgresEventStore, bootstrap: str, prefix: str, partitions: int,
                        count: int) -> tuple[Rate, Rate]:
    """Two stages measured on their own, to show which one bounds the pipeline: as many appends again
    (other workspaces) with nothing else running, then a fresh relay publishing just those."""
    plan = transactions(workspaces(count, EventCodec(), seed=53, prefix="solo"))
    start = time.perf_counter()
    for tx in plan:
        await store.commit(tx)
    appends = Rate(event_count(plan), time.perf_counter() - start)
    relay = KafkaRelay(store, bootstrap, prefix=prefix, partitions=partitions, batch_size=RELAY_BATCH)
    start = time.perf_counter()
    published = await relay.catch_up()
    return appends, Rate(published, time.perf_counter() - start)


# -- phases --------------------------------------------------------------------------------------


async def _warm_up(store: PostgresEventStore, warm: Sequence[Workspace], processes: Sequence[WorkerProcess],
                   group: str, relay: asyncio.Task[None], timeout: float = 90.0) -> int:
    """Append warm-up events (one lifecycle step of every warm stream at a time) until every worker has
    handled one, i.e. the group has settled and each process holds partitions; then wait until all
    of them are handled. Returns how many warm-up events were appended."""
    appended = 0
    pending = list(singles(warm))
    deadline = time.monotonic() + timeout
    step = max(1, len(warm))
    while not all(worker.first.is_set() for worker in processes):
        check_alive(processes, relay)
        if time.monotonic() > deadline or not pending:
            ready = sum(worker.first.is_set() for worker in processes)
            raise DistributedError(f"only {ready} of {len(processes)} workers received events during the warm-up")
        batch, pending = pending[:step], pending[step:]
        await store.commit(batch)
        appended += len(batch)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await asyncio.gather(*(worker.first.wait() for worker in processes))
    await _wait_tracked(store, group, appended, processes, relay, timeout=max(5.0, deadline - time.monotonic()))
    return appended


async def _wait_tracked(store: PostgresEventStore, consumer: str, count: int, processes: Sequence[WorkerProcess],
                        relay: asyncio.Task[None], timeout: float) -> None:
    """Until `count` tracking records of `consumer` are committed (each worker commits one per event)."""
    deadline = time.monotonic() + timeout
    while True:
        tracked = await store.pool.fetchval("SELECT count(*) FROM tracking WHERE consumer = $1", consumer)
        if tracked >= count:
            return
        check_alive(processes, relay)
        if time.monotonic() > deadline:
            raise DistributedError(f"only {tracked} of {count} events were handled within {timeout:.0f}s")
        await asyncio.sleep(0.05)


async def _sample(relay: KafkaRelay, samples: list[tuple[float, int]]) -> None:
    while True:
        samples.append((time.time(), relay.published))
        await asyncio.sleep(0.01)


def _profile_text(parent: cProfile.Profile, directory: Path, top: int = 25) -> str:
    """CPU time (thread_time) of the appender+relay process and of the worker processes (merged), by
    own time and by cumulative time."""
    workers = sorted(str(path) for path in directory.glob("worker-*.prof"))
    sections = [top_table("this process (appender and relay), timed run only", [parent], top)]
    if workers:
        sections.append(top_table("worker processes, merged, whole life", workers, top))
    for name in workers:
        Path(name).unlink()
    return "\n\n".join(sections)


