"""The distributed event source: a Kafka consumer group over the stream-type topics.

It has the shape of `handlers.runtime.source.EventSource` (events / done / close) without importing
it, since infra sits below handlers. Each record becomes the StoredEvent the relay published (envelope
from the headers, payload = value). Offsets are committed by hand, per partition, only past records
the runtime reported done: the runtime finishes streams concurrently, so a later record of a partition
may be done before an earlier one, and committing it would lose the earlier one on a crash.
Redelivery is always possible (a crash, a rebalance, relay duplicates); tracking records make it harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import ConsumerStoppedError, KafkaError

from domain.errors import InvalidInput
from infra.kafka import headers
from infra.kafka.offsets import PartitionProgress
from infra.kafka.topics import DEFAULT_PARTITIONS, PREFIX, Topics
from infra.store.records import StoredEvent

log = logging.getLogger(__name__)
_MIN_CONNECT_WAIT = 0.2
_MAX_CONNECT_WAIT = 30.0


@dataclass(frozen=True, slots=True)
class _Delivery:
    event: StoredEvent
    partition: TopicPartition
    offset: int
    progress: PartitionProgress  # the partition's tracker when delivered; a rebalance replaces it


class KafkaEventSource:
    def __init__(self, bootstrap: str, group_id: str, stream_types: Iterable[str], *, prefix: str = PREFIX,
                 partitions: int = DEFAULT_PARTITIONS, commit_interval: float = 1.0,
                 revoke_grace: float = 5.0, max_records: int = 500,
                 consumer_settings: Mapping[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.stream_types = sorted(set(stream_types))
        if not self.stream_types:
            raise InvalidInput("a Kafka event source needs at least one stream type", field="stream_types")
        self._topics = Topics(bootstrap, prefix=prefix, partitions=partitions)
        self._commit_interval = commit_interval
        self._revoke_grace = revoke_grace
        self._max_records = max_records
        self._settings = dict(consumer_settings or {})
        self._consumer: AIOKafkaConsumer | None = None
        self._progress: dict[TopicPartition, PartitionProgress] = {}
        self._committed: dict[TopicPartition, int] = {}
        # Keyed by the identity of the delivered object: the relay may publish an event twice, and the
        # two deliveries (same envelope, different offsets) must be told apart. The entry keeps the
        # object alive, so its id cannot be reused meanwhile.
        self._in_flight: dict[int, _Delivery] = {}
        self._commit_lock = asyncio.Lock()
        self._finished = asyncio.Condition()
        self._last_commit = time.monotonic()
        self._closed = False
        self.skipped = 0
        """Records passed over because they are not Berth events (bad headers, no value)."""

    @property
    def topics(self) -> list[str]:
        return [self._topics.topic(stream_type) for stream_type in self.stream_types]

    async def events(self) -> AsyncIterator[StoredEvent]:
        if self._consumer is not None or self._closed:
            raise RuntimeError("a KafkaEventSource delivers its events once; make another one")
        consumer = await self._connected()
        consumer.subscribe(topics=self.topics, listener=_Rebalance(self))
        poll_ms = max(100, int(min(self._commit_interval, 1.0) * 1000))
        while not self._closed:
            try:
                fetched = await consumer.getmany(timeout_ms=poll_ms, max_records=self._max_records)
            except ConsumerStoppedError:
                return
            for partition, records in fetched.items():
                progress = self._progress.get(partition)
                for record in records:
                    if self._closed or progress is None or self._progress.get(partition) is not progress:
                        break  # closed, or revoked since the fetch: the partition's next owner reads it
                    progress.delivered(record.offset)
                    event = self._event(record)
                    if event is None:
                        progress.finished(record.offset)
                        continue
                    self._in_flight[id(event)] = _Delivery(event, partition, record.offset, progress)
                    yield event
            await self._commit_if_due()

    async def _connected(self) -> AIOKafkaConsumer:
        """The started consumer, its topics made. A broker that is not there (yet, or restarting) is waited for,
        as the relay does: a worker or node agent started before the broker, or during its restart, must not
        end for it."""
        wait = _MIN_CONNECT_WAIT
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                group_id=self.group_id,
                client_id=f"berth-{self.group_id}",
                enable_auto_commit=False,
                auto_offset_reset="earliest",  # a new group starts at the beginning: workers see all history
                **self._settings,
            )
            try:
                try:
                    await self._topics.ensure(self.stream_types)
                finally:
                    await self._topics.close()
                self._consumer = consumer
                await consumer.start()
                return consumer
            except KafkaError as error:
                self._consumer = None
                await consumer.stop()
                log.warning("%s: %r; connecting again in %.1fs", self.group_id, error, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, _MAX_CONNECT_WAIT)

    def _event(self, record: Any) -> StoredEvent | None:
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        try:
            envelope = headers.decode(record.headers)
        except headers.MalformedHeadersError as error:
            # Not something the relay wrote; the runtime could not even park it without an envelope.
            log.error("%s: skipping %s, not a Berth event: %s", self.group_id, where, error)
            self.skipped += 1
            return None
        if record.value is None:
            log.error("%s: skipping %s, it has no payload", self.group_id, where)
            self.skipped += 1
            return None
        return StoredEvent(envelope, bytes(record.value))

    async def done(self, event: StoredEvent) -> None:
        delivery = self._in_flight.pop(id(event), None)
        if delivery is None:
            return  # its partition was revoked meanwhile (the next owner redelivers it), or not ours
        if self._progress.get(delivery.partition) is delivery.progress:
            delivery.progress.finished(delivery.offset)
            async with self._finished:
                self._finished.notify_all()
        await self._commit_if_due()

    async def _commit_if_due(self) -> None:
        if time.monotonic() - self._last_commit >= self._commit_interval:
            await self.commit()

    async def commit(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Commit, per partition, the offset after the longest run of done records. A failed commit
        is logged and tried again next time: at worst some done events are delivered again."""
        async with self._commit_lock:
            self._last_commit = time.monotonic()
            consumer = self._consumer
            if consumer is None:
                return
            chosen = self._progress.keys() if partitions is None else set(partitions) & self._progress.keys()
            offsets = {}
            for partition in chosen:
                offset = self._progress[partition].commit_offset
                if offset is not None and offset != self._committed.get(partition):
                    offsets[partition] = offset
            if not offsets:
                return
            try:
                await consumer.commit(offsets)
            except KafkaError as error:
                log.warning("%s: could not commit offsets %s: %r", self.group_id, offsets, error)
                return
            self._committed.update(offsets)

    async def _revoked(self, revoked: Iterable[TopicPartition]) -> None:
        ours = set(revoked) & self._progress.keys()
        # Give events already delivered from these partitions a moment to finish, so the next owner
        # does not redo them; then commit what is done and forget the partitions.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._revoke_grace), self._finished:
                await self._finished.wait_for(lambda: all(self._progress[p].in_flight == 0 for p in ours))
        await self.commit(ours)
        for partition in ours:
            del self._progress[partition]
            self._committed.pop(partition, None)
        self._in_flight = {key: d for key, d in self._in_flight.items() if d.partition not in ours}

    def _assigned(self, assigned: Iterable[TopicPartition]) -> None:
        for partition in assigned:
            self._progress.setdefault(partition, PartitionProgress())

    async def close(self) -> None:
        """Stop delivering, commit what is done, leave the group."""
        self._closed = True
        if self._consumer is None:
            return
        try:
            await self.commit()
        finally:
            consumer, self._consumer = self._consumer, None
            if consumer is not None:
                await consumer.stop()


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no type hints
    """Hands aiokafka's rebalance callbacks to the source (aiokafka requires this base class)."""

    def __init__(self, source: KafkaEventSource) -> None:
        self._source = source

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._source._revoked(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._source._assigned(assigned)
