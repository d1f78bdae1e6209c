"""PostgreSQL, then Kafka, stopped and started again under load: no event is lost, each has exactly one
effect, and every component resumes by itself.

Running throughout, in this process: a writer appending to several workspace streams (it retries an
append that failed for an outage, with the same event ids: idempotent), the relay, two workers over
Kafka (one consumer group) and one worker over the store's log (the embedded source, on PostgreSQL).
None of them is restarted by the test; a component whose task ends fails it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest

from domain.errors import TemporaryError
from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import Worker
from infra.kafka.relay import KafkaRelay
from infra.store.postgres import PostgresEventStore
from infra.store.records import NewEvent, StoredEvent
from tests.conftest import PG_DSN
from tests.integration.faults.effects import CODEC, EffectHandler, effect_counts, exactly_once_problems, source_event
from tests.integration.faults.kafka_workers import (
    PATIENT,
    Running,
    group_caught_up,
    kafka_workers,
    relay_caught_up,
    start_worker,
    stop_worker,
)
from tests.integration.faults.services import outage
from tests.integration.faults.waiting import eventually

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

# Seconds each service stays stopped, on top of its stop and start. Kafka's is longer than the producer's
# request timeout (40 s), so the relay's sends in flight expire and it must start a new session.
DOWN_FOR = {"postgres": 5.0, "kafka": 45.0}


@dataclass
class Writer:
    """Appends round-robin to its streams until told to stop; an append that fails for an outage is
    sent again as is (same event, same expected version) until the store takes it."""

    store: PostgresEventStore
    streams: Sequence[str]
    pace: float = 0.05
    appended: list[StoredEvent] = field(default_factory=list)
    retries: int = 0
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        versions = dict.fromkeys(self.streams, 0)
        index = 0
        while not self.stopping.is_set():
            stream_id = self.streams[index % len(self.streams)]
            index += 1
            self.appended += await self._append(stream_id, source_event(stream_id, versions[stream_id] + 1),
                                                versions[stream_id])
            versions[stream_id] += 1
            await asyncio.sleep(self.pace)

    async def _append(self, stream_id: str, event: NewEvent, expected_version: int) -> list[StoredEvent]:
        async with asyncio.timeout(120):
            while True:
                try:
                    return await self.store.append(stream_id, [event], expected_version)
                except TemporaryError:
                    self.retries += 1
                    await asyncio.sleep(0.1)


@dataclass
class Pipeline:
    writer: Writer
    writing: asyncio.Task[None]
    relaying: asyncio.Task[None]
    host: PostgresEventStore  # the relay's and the embedded worker's store
    embedded: Running
    embedded_source: StoreEventSource
    kafka: list[Running]
    bootstrap: str
    topic: str

    def check_alive(self) -> None:
        for name, task in (("writer", self.writing), ("relay", self.relaying)):
            if task.done() and not (task is self.writing and self.writer.stopping.is_set()):
                error = None if task.cancelled() else task.exception()
                raise AssertionError(f"the {name} stopped by itself: {error!r}") from error
        for running in (self.embedded, *self.kafka):
            running.check_alive()

    @property
    def consumers(self) -> list[str]:
        return [self.embedded.worker.name, self.kafka[0].worker.name]

    async def handled_by_all(self) -> int:
        """How many appended events have an effect from every consumer."""
        counts = [await effect_counts(self.host, consumer) for consumer in self.consumers]
        return sum(all(c[event.envelope.event_id] for c in counts) for event in self.writer.appended)

    async def explain(self) -> str:
        """Per consumer: how many appended events have no effect yet; and the dead letters."""
        appended = [event.envelope.event_id for event in self.writer.appended]
        missing = {}
        for consumer in self.consumers:
            counts = await effect_counts(self.host, consumer)
            missing[consumer] = sum(not counts[event_id] for event_id in appended)
        letters = [f"{letter.consumer}@{letter.position}: {letter.error}" for letter in await self.host.dead_letters()]
        return f"{len(appended)} appended; without an effect: {missing}; dead letters: {letters}"

    async def progress(self, what: str, appended: int, handled: int, within: float = 60) -> None:
        async def enough() -> bool:
            return len(self.writer.appended) >= appended and await self.handled_by_all() >= handled

        await eventually(f"{what}: {appended} appended and {handled} handled", enough, within=within,
                         while_waiting=self.check_alive, explain=self.explain)

    async def drain(self) -> None:
        """Stop writing, then wait until everything written went through every consumer."""
        self.writer.stopping.set()
        async with asyncio.timeout(130):
            await asyncio.shield(self.writing)
        total = len(self.writer.appended)
        last = self.writer.appended[-1].position

        async def all_handled() -> bool:
            return await self.handled_by_all() == total

        await eventually("every appended event went through every consumer", all_handled,
                         within=120, while_waiting=self.check_alive, explain=self.explain)

        async def quiet() -> bool:
            return (self.embedded_source.watermark >= last and await relay_caught_up(self.host)
                    and await group_caught_up(self.bootstrap, self.kafka[0].worker.name, self.topic))

        await eventually("the relay and the consumers caught up", quiet, within=60, while_waiting=self.check_alive,
                         explain=self.explain)
        self.check_alive()


@contextlib.asynccontextmanager
async def pipeline(schema: str, bootstrap: str, prefix: str) -> AsyncIterator[Pipeline]:
    streams = [f"workspace-s{index}-{uuid.uuid4().hex[:6]}" for index in range(6)]
    tag = uuid.uuid4().hex[:6]
    writer_store = await PostgresEventStore(PG_DSN, schema=schema, poll_interval=0.1).open()
    host = await PostgresEventStore(PG_DSN, schema=schema, poll_interval=0.1).open()
    tasks: list[asyncio.Task[None]] = []
    try:
        relay = KafkaRelay(host, bootstrap, prefix=prefix, max_retry_wait=1.0)
        tasks.append(asyncio.create_task(relay.run(), name="relay"))
        name = f"fxe{tag}"
        source = StoreEventSource(host, name, checkpoint_interval=0.5)
        embedded = await start_worker(Worker(EffectHandler(name), source, host, CODEC, retry=PATIENT))
        try:
            async with kafka_workers(2, f"fxk{tag}", schema, bootstrap, prefix) as kafka:
                writer = Writer(writer_store, streams)
                tasks.append(asyncio.create_task(writer.run(), name="writer"))
                yield Pipeline(writer, tasks[1], tasks[0], host, embedded, source, kafka, bootstrap,
                               f"{prefix}workspace")
        finally:
            await stop_worker(embedded)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await host.close()
        await writer_store.close()


@pytest.mark.parametrize("service", ["postgres", "kafka"])
async def test_a_service_restart_under_load_loses_nothing_and_everything_resumes(
    service: str, schema: str, bootstrap: str, prefix: str, services_restored: None
) -> None:
    probe = await PostgresEventStore(PG_DSN, schema=schema, poll_interval=60).open()
    try:
        async with pipeline(schema, bootstrap, prefix) as running:
            await running.progress("warming up", appended=40, handled=30)
            await probe.wait_for_new(0, timeout=0.1)  # it listens from now on
            async with outage(service):
                await asyncio.sleep(DOWN_FOR[service])
                running.check_alive()
            restarted_at = len(running.writer.appended)
            await running.progress(f"after {service} restarted", appended=restarted_at + 40,
                                   handled=restarted_at + 20, within=120)
            await notified_at_once(probe)  # the writer goes on appending
            await running.drain()

        for stream_id in running.writer.streams:  # the log holds exactly what the writer was told it appended
            stored = [event.envelope.event_id for event in await probe.read_stream(stream_id)]
            assert stored == [e.envelope.event_id for e in running.writer.appended if e.stream_id == stream_id]
        appended = [event.envelope.event_id for event in running.writer.appended]
        for consumer in running.consumers:
            problems = exactly_once_problems(await effect_counts(probe, consumer), appended)
            assert not problems, f"{consumer}: {problems}"
        assert await probe.dead_letters() == []
        if service == "postgres":
            assert running.writer.retries > 0, "the writer never saw the outage"
    finally:
        await probe.close()


async def notified_at_once(store: PostgresEventStore) -> None:
    """A waiter on a store that polls only every 60 s is woken by the NOTIFY of the next append: the
    store listens again after the restart."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    await store.wait_for_new(await store.head_position(), timeout=60)
    assert loop.time() - started < 5, "not woken by NOTIFY: the store did not listen again after the restart"
