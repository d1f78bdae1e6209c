"""The Kafka event source against the real broker: it delivers what the relay published as the same
StoredEvents, commits offsets only past finished events, hands partitions over on a rebalance with
what is done committed, and drives the real worker runtime exactly once per event despite duplicates."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from domain.events import Recorded
from handlers.runtime.handler import HandlerContext
from handlers.runtime.worker import Worker
from infra.kafka import headers
from infra.kafka.relay import KafkaRelay
from infra.kafka.source import KafkaEventSource
from infra.store.contract import EventStore
from infra.store.records import Append, StoredEvent
from infra.store.sqlite import SqliteEventStore
from schemas.codec import EventCodec
from tests.integration.kafka.history import append_history
from tests.integration.kafka.kafka_reading import committed_offsets, read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.kafka

MANUAL = 3600.0  # a commit interval long enough that only explicit commits (and close) commit


def group() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


async def take(events: AsyncIterator[StoredEvent], count: int, within: float = 30.0) -> list[StoredEvent]:
    """The next `count` events of a source's one iterator."""
    async with asyncio.timeout(within):
        return [await anext(events) for _ in range(count)]


async def test_delivers_the_relayed_events_unchanged(store: EventStore, bootstrap: str, prefix: str) -> None:
    history = await append_history(store, streams=4, per_stream=5)
    await KafkaRelay(store, bootstrap, prefix=prefix).catch_up()
    source = KafkaEventSource(bootstrap, group(), ["workspace"], prefix=prefix)
    try:
        delivered = await take(source.events(), len(history))
        for event in delivered:
            await source.done(event)
    finally:
        await source.close()

    assert sorted(delivered, key=lambda e: e.position) == history  # envelope and payload, field by field
    for stream_id in {e.stream_id for e in history}:
        assert [e.envelope.version for e in delivered if e.stream_id == stream_id] == [1, 2, 3, 4, 5]
    records = await read_topic(bootstrap, f"{prefix}workspace", len(history))
    ends: dict[int, int] = {}
    for record in records:
        ends[record.partition] = record.offset + 1
    assert await committed_offsets(bootstrap, source.group_id, f"{prefix}workspace") == ends


async def test_commits_only_past_finished_events(
    sqlite_store: SqliteEventStore, bootstrap: str, prefix: str
) -> None:
    history = await append_history(sqlite_store, streams=5, per_stream=2)
    # One partition, so offsets 0..9 are the log's order and "earlier" is unambiguous.
    await KafkaRelay(sqlite_store, bootstrap, prefix=prefix, partitions=1).catch_up()
    topic = f"{prefix}workspace"
    name = group()
    first = KafkaEventSource(bootstrap, name, ["workspace"], prefix=prefix, commit_interval=MANUAL)
    try:
        delivered = await take(first.events(), len(history))
        for index in (0, 1, 2, 5, 6, 9):  # out of order, as concurrent streams finish
            await first.done(delivered[index])
        await first.commit()
        assert await committed_offsets(bootstrap, name, topic) == {0: 3}  # 3 is not done: 5, 6, 9 wait

        for index in (3, 4):
            await first.done(delivered[index])
        await first.commit()
        assert await committed_offsets(bootstrap, name, topic) == {0: 7}
        await first.done(delivered[5])  # told twice: no harm
    finally:
        await first.close()
    assert await committed_offsets(bootstrap, name, topic) == {0: 7}

    second = KafkaEventSource(bootstrap, name, ["workspace"], prefix=prefix, commit_interval=MANUAL)
    try:
        again = await take(second.events(), 3)  # the unfinished 7 and 8, and 9 which was done but behind them
    finally:
        await second.close()
    assert again == history[7:]


async def test_records_that_are_not_berth_events_are_passed_over(
    sqlite_store: SqliteEventStore, bootstrap: str, prefix: str
) -> None:
    history = await append_history(sqlite_store, streams=1, per_stream=2)
    relay = KafkaRelay(sqlite_store, bootstrap, prefix=prefix, partitions=1)
    await relay.catch_up()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:  # someone else's records: no envelope at all, and an envelope without a payload
        await producer.send_and_wait(f"{prefix}workspace", b"hello", key=b"k")
        await producer.send_and_wait(f"{prefix}workspace", None, key=b"k",
                                     headers=headers.encode(history[0].envelope))
    finally:
        await producer.stop()
    more = await append_history(sqlite_store, streams=1, per_stream=1)
    await relay.catch_up()

    source = KafkaEventSource(bootstrap, group(), ["workspace"], prefix=prefix, commit_interval=0)
    try:
        delivered = await take(source.events(), 3)
        for event in delivered:
            await source.done(event)
    finally:
        await source.close()
    assert delivered == history + more
    assert source.skipped == 2
    assert await committed_offsets(bootstrap, source.group_id, f"{prefix}workspace") == {0: 5}


async def test_a_rebalance_commits_what_is_done_and_the_rest_is_redelivered(
    sqlite_store: SqliteEventStore, bootstrap: str, prefix: str
) -> None:
    history = await append_history(sqlite_store, streams=8, per_stream=3)
    await KafkaRelay(sqlite_store, bootstrap, prefix=prefix, partitions=2).catch_up()
    topic = f"{prefix}workspace"
    name = group()
    slow_stream = history[0].stream_id  # its events stay unfinished when the partitions are revoked
    first = KafkaEventSource(bootstrap, name, ["workspace"], prefix=prefix, commit_interval=MANUAL,
                             revoke_grace=0.5)
    second = KafkaEventSource(bootstrap, name, ["workspace"], prefix=prefix, commit_interval=MANUAL)
    seen_after: list[StoredEvent] = []

    async def drain(source: KafkaEventSource, events: AsyncIterator[StoredEvent]) -> None:
        async for event in events:
            seen_after.append(event)
            await source.done(event)

    drains: list[asyncio.Task[None]] = []
    try:
        first_events = first.events()
        delivered = await take(first_events, len(history))
        for event in delivered:
            if event.stream_id != slow_stream:
                await first.done(event)
        # A second member joins: the first one's partitions are revoked (committing what is done
        # after a grace period), then the two share them; each drains its share from there.
        drains += [asyncio.create_task(drain(first, first_events)),
                   asyncio.create_task(drain(second, second.events()))]
        slow = {e.envelope.event_id for e in history if e.stream_id == slow_stream}

        async def slow_redelivered() -> bool:
            return slow <= {e.envelope.event_id for e in seen_after}

        await eventually(slow_redelivered, within=60)
        await asyncio.sleep(1)  # anything else that would be redelivered shows up by now
    finally:
        for task in drains:
            task.cancel()
        await asyncio.gather(*drains, return_exceptions=True)
        await first.close()
        await second.close()

    records = await read_topic(bootstrap, topic, len(history))
    slow_partition = next(r.partition for r in records if r.key.decode() == slow_stream)
    first_slow_offset = min(r.offset for r in records if r.key.decode() == slow_stream)
    expected = [
        _position(r) for r in records if r.partition == slow_partition and r.offset >= first_slow_offset
    ]
    assert sorted(e.position for e in seen_after) == sorted(expected)  # nothing done was redelivered
    ends = {p: max(r.offset for r in records if r.partition == p) + 1 for p in (0, 1)}
    assert await committed_offsets(bootstrap, name, topic) == ends


class Recorder:
    """A handler that only records what it saw; its tracking rows are its effects."""

    name = "recorder"
    event_types = frozenset({"workspace.created", "workspace.instance_phase_changed"})

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        self.seen.append(event.envelope.position)
        return []


async def test_the_worker_runtime_handles_each_event_once_despite_duplicates(
    store: EventStore, bootstrap: str, prefix: str
) -> None:
    history = await append_history(store, streams=6, per_stream=4)
    await KafkaRelay(store, bootstrap, prefix=prefix).catch_up()
    await KafkaRelay(store, bootstrap, prefix=prefix, consumer="relay:again").catch_up()  # every event twice
    handler = Recorder()
    source = KafkaEventSource(bootstrap, f"{handler.name}-{uuid.uuid4().hex[:6]}", ["workspace"],
                              prefix=prefix, commit_interval=0.1)
    worker = Worker(handler, source, store, EventCodec())
    running = asyncio.create_task(worker.run())
    try:

        async def all_tracked() -> bool:
            return all([await store.is_tracked(handler.name, e.position) for e in history])

        async def all_committed() -> bool:  # the duplicates too: done (skipped as tracked) and committed
            offsets = await committed_offsets(bootstrap, source.group_id, f"{prefix}workspace")
            return sum(offsets.values()) == 2 * len(history)

        await eventually(all_tracked, within=60)
        await eventually(all_committed, within=30)
    finally:
        await worker.stop(grace=5)
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert sorted(handler.seen) == [e.position for e in history]
    assert worker.handled == len(history)


def _position(record: Any) -> int:
    return headers.decode(record.headers).position


async def test_waits_for_a_broker_that_is_not_there_yet(sqlite_store: SqliteEventStore, bootstrap: str,
                                                        prefix: str) -> None:
    """A worker or node agent started before the broker (or during its restart) connects once it answers."""
    history = await append_history(sqlite_store, streams=2, per_stream=2)
    await KafkaRelay(sqlite_store, bootstrap, prefix=prefix).catch_up()
    port = _free_port()
    source = KafkaEventSource(f"127.0.0.1:{port}", group(), ["workspace"], prefix=prefix)
    taking = asyncio.create_task(take(source.events(), len(history)))
    try:
        await asyncio.sleep(1.0)  # a few refused attempts
        assert not taking.done()
        # The broker "comes up" at that address: a forwarder to the real one, which clients find through it.
        host, _, broker_port = bootstrap.rpartition(":")
        forwarder = await asyncio.start_server(_forwarding_to(host, int(broker_port)), "127.0.0.1", port)
        async with forwarder:
            delivered = await taking
    finally:
        taking.cancel()
        await source.close()
    assert sorted(delivered, key=lambda e: e.position) == history


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _forwarding_to(host: str, port: int) -> Any:
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def forward(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        broker_reader, broker_writer = await asyncio.open_connection(host, port)
        await asyncio.gather(pipe(client_reader, broker_writer), pipe(broker_reader, client_writer))

    return forward
