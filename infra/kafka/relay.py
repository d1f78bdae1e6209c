"""The relay: publishes the store's committed global log to Kafka, one topic per stream type.

Never a dual write: writers only append to the store, and the relay reads what is committed. Each event
goes to `berth.<stream type>` keyed by its stream id (so one stream stays in one partition, in order),
with the Avro payload as the value and the envelope as headers. The relay's checkpoint in the store is
saved only after the broker acknowledged every event up to it (idempotent producer, acks=all), so a
crash republishes from the checkpoint: duplicates are possible, gaps are not. Consumers dedupe by
position with their tracking records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from domain.errors import Unavailable
from infra.kafka import headers
from infra.kafka.batches import ready_batches
from infra.kafka.topics import DEFAULT_PARTITIONS, PREFIX, Topics
from infra.store.contract import EventStore
from infra.store.records import StoredEvent

log = logging.getLogger(__name__)

RELAY_CONSUMER = "relay:kafka"

ProducerFactory = Callable[[], AIOKafkaProducer]


def producer_settings(bootstrap: str, client_id: str = "berth-relay") -> dict[str, Any]:
    """The producer the relay needs: idempotent (a retried send is not written twice, and order per
    partition holds across retries) and acknowledged by every in-sync replica before it counts."""
    return {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,  # a relay batch is sent at once; a few ms lets Kafka pack it into few requests
    }


class KafkaRelay:
    def __init__(self, store: EventStore, bootstrap: str, *, consumer: str = RELAY_CONSUMER,
                 prefix: str = PREFIX, partitions: int = DEFAULT_PARTITIONS, batch_size: int = 500,
                 producer_factory: ProducerFactory | None = None,
                 min_retry_wait: float = 0.2, max_retry_wait: float = 30.0) -> None:
        self.store = store
        self.bootstrap = bootstrap
        self.consumer = consumer
        self.prefix = prefix
        self.partitions = partitions
        self.batch_size = batch_size
        self._producer_factory = producer_factory or (
            lambda: AIOKafkaProducer(**producer_settings(bootstrap))
        )
        self._min_wait = min_retry_wait
        self._max_wait = max_retry_wait
        self.published = 0
        """Events acknowledged by the broker since this relay was made (republished ones count again)."""

    async def run(self) -> None:
        """Publish forever: catch up from the checkpoint, then follow the log live. Outages of Kafka
        or of the store are waited out with a fresh producer, backing off while nothing gets through."""
        wait = self._min_wait
        while True:
            before = self.published
            try:
                await self._session(follow=True)
            except (KafkaError, Unavailable) as error:
                if self.published > before:
                    wait = self._min_wait  # it was working: this is a new outage, not the same one
                log.warning("relay %s: %r; reconnecting in %.1fs", self.consumer, error, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, self._max_wait)

    async def catch_up(self) -> int:
        """Publish everything committed so far, then return how many events went out."""
        before = self.published
        await self._session(follow=False)
        return self.published - before

    async def _session(self, *, follow: bool) -> None:
        producer = self._producer_factory()
        topics = Topics(self.bootstrap, prefix=self.prefix, partitions=self.partitions)
        try:
            await producer.start()
            position = await self.store.checkpoint(self.consumer)
            async with contextlib.aclosing(self._batches(position, follow)) as batches:
                async for batch in batches:
                    await self._publish(producer, topics, batch)
        finally:
            # stop() flushes what was sent; after a crash those are duplicates, which is allowed.
            await producer.stop()
            await topics.close()

    async def _batches(self, position: int, follow: bool) -> AsyncGenerator[list[StoredEvent], None]:
        if follow:
            async with contextlib.aclosing(
                ready_batches(self.store.subscribe(position, self.batch_size), self.batch_size)
            ) as live:
                async for batch in live:
                    yield batch
            return
        while batch := await self.store.read_all(position, self.batch_size):
            yield batch
            position = batch[-1].position

    async def _publish(self, producer: AIOKafkaProducer, topics: Topics, batch: list[StoredEvent]) -> None:
        await topics.ensure({event.envelope.stream_type for event in batch})
        # Send all, then await all: the producer pipelines the batch, and per-partition order holds
        # because sends to one partition are written in the order they were made.
        acknowledgements = [
            # No record timestamp from occurred_at: retention counts from the record timestamp, so a
            # replay of old events would be deleted at once. Kafka stamps the publish time instead.
            await producer.send(
                topics.topic(event.envelope.stream_type),
                value=event.payload,
                key=event.stream_id.encode(),
                headers=headers.encode(event.envelope),
            )
            for event in batch
        ]
        # Wait for every acknowledgement, even after a failure, so no outcome goes unobserved.
        outcomes = await asyncio.gather(*acknowledgements, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        await self.store.save_checkpoint(self.consumer, batch[-1].position)
        self.published += len(batch)
        log.debug("relay %s: published up to position %s", self.consumer, batch[-1].position)
