"""Workers of the distributed mode, in this process: the real Worker over KafkaEventSource, with its
tracking records and effects in PostgreSQL, and the broker-side signs that they are caught up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from handlers.runtime.worker import RetryPolicy, Worker
from infra.kafka.relay import RELAY_CONSUMER
from infra.kafka.source import KafkaEventSource
from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from tests.conftest import PG_DSN
from tests.integration.faults.effects import CODEC, EffectHandler
from tests.integration.kafka.kafka_reading import committed_offsets, partitions_of

# Outages last seconds: retry transient errors for longer than the runtime's default before parking.
PATIENT = RetryPolicy(attempts=10, initial_wait=0.05, max_wait=1.0)


@dataclass
class Running:
    worker: Worker
    task: asyncio.Task[None]

    def check_alive(self) -> None:
        """A worker must ride out every outage by itself: its task never ends while it is running."""
        if self.task.done():
            error = self.task.exception() if not self.task.cancelled() else None
            raise AssertionError(f"worker {self.worker.name} stopped by itself: {error!r}") from error


async def start_worker(worker: Worker) -> Running:
    return Running(worker, asyncio.create_task(worker.run(), name=f"worker {worker.name}"))


async def stop_worker(running: Running) -> None:
    await running.worker.stop(grace=5)
    await asyncio.gather(running.task, return_exceptions=True)


@contextlib.asynccontextmanager
async def kafka_workers(count: int, consumer: str, schema: str, bootstrap: str,
                        prefix: str) -> AsyncIterator[list[Running]]:
    """`count` members of one consumer group, each with a store of its own (as separate hosts would)."""
    stores: list[PostgresEventStore] = []
    running: list[Running] = []
    try:
        for _ in range(count):
            store = await PostgresEventStore(PG_DSN, schema=schema, poll_interval=0.1).open()
            stores.append(store)
            source = KafkaEventSource(bootstrap, consumer, ["workspace"], prefix=prefix, commit_interval=0.2)
            running.append(await start_worker(Worker(EffectHandler(consumer), source, store, CODEC, retry=PATIENT)))
        yield running
    finally:
        for member in running:
            await stop_worker(member)
        for opened in stores:
            await opened.close()


async def group_caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """The group committed every partition of `topic` up to its end: every record, duplicates included,
    was delivered and done."""
    partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = {tp.partition: offset for tp, offset in (await consumer.end_offsets(partitions)).items()}
    finally:
        await consumer.stop()
    committed = await committed_offsets(bootstrap, group, topic)
    return all(committed.get(partition, 0) == end for partition, end in ends.items())


async def relay_caught_up(store: EventStore) -> bool:
    return await store.checkpoint(RELAY_CONSUMER) >= await store.head_position()
