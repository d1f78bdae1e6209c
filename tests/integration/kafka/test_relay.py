"""The relay against the real broker: each committed event reaches its stream type's topic, keyed by
stream, in stream order; a crash or a cancellation mid-batch loses nothing on restart."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from infra.kafka import headers
from infra.kafka.relay import RELAY_CONSUMER, KafkaRelay, producer_settings
from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from infra.store.records import NewEvent, StoredEvent
from infra.store.sqlite import SqliteEventStore
from tests.integration.kafka.history import append_history
from tests.integration.kafka.kafka_reading import read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.kafka

REPO = Path(__file__).resolve().parents[3]


def by_stream(records: list[Any]) -> dict[str, list[Any]]:
    streams: dict[str, list[Any]] = defaultdict(list)
    for record in records:
        streams[record.key.decode()].append(record)
    return streams


async def test_publishes_every_event_once_in_stream_order(
    store: EventStore, bootstrap: str, prefix: str
) -> None:
    history = await append_history(store, streams=6, per_stream=5)
    relay = KafkaRelay(store, bootstrap, prefix=prefix, batch_size=7)  # several batches, one partial

    assert await relay.catch_up() == len(history)

    records = await read_topic(bootstrap, f"{prefix}workspace", len(history))
    assert len(records) == len(history)
    assert sorted(_event_id(r) for r in records) == sorted(e.envelope.event_id for e in history)
    for stream_id, stream in by_stream(records).items():
        assert len({r.partition for r in stream}) == 1, f"{stream_id} is spread over partitions"
        assert [headers.decode(r.headers).version for r in stream] == [1, 2, 3, 4, 5]
    expected = {e.envelope.event_id: e for e in history}
    for record in records:
        envelope = headers.decode(record.headers)
        assert StoredEvent(envelope, record.value) == expected[envelope.event_id]
    assert await store.checkpoint(RELAY_CONSUMER) == history[-1].position
    assert await relay.catch_up() == 0  # nothing new: nothing republished


async def test_follows_the_log_live(store: EventStore, bootstrap: str, prefix: str) -> None:
    before = await append_history(store, streams=2, per_stream=2)
    relay = KafkaRelay(store, bootstrap, prefix=prefix)
    running = asyncio.create_task(relay.run())
    try:
        after = await append_history(store, streams=3, per_stream=3)
        await eventually(lambda: _checkpoint_reached(store, after[-1].position))
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    records = await read_topic(bootstrap, f"{prefix}workspace", len(before) + len(after))
    assert [headers.decode(r.headers).position for r in sorted(records, key=_position)] == [
        e.position for e in before + after
    ]


async def test_killed_mid_batch_then_restarted_delivers_every_event(
    store: EventStore, bootstrap: str, prefix: str
) -> None:
    history = await append_history(store, streams=5, per_stream=6)
    crash_after = 12
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.kafka.crashing_relay", _spec(store), bootstrap, prefix,
        str(crash_after), cwd=REPO,
    )
    assert await asyncio.wait_for(process.wait(), 60) == -9  # SIGKILL: it really crashed

    assert await store.checkpoint(RELAY_CONSUMER) == 0  # died before its checkpoint
    assert len(await read_topic(bootstrap, f"{prefix}workspace", crash_after)) == crash_after

    assert await KafkaRelay(store, bootstrap, prefix=prefix).catch_up() == len(history)

    records = await read_topic(bootstrap, f"{prefix}workspace", len(history) + crash_after)
    assert len(records) == len(history) + crash_after  # the first sends twice: duplicates, no gaps
    assert {_event_id(r) for r in records} == {e.envelope.event_id for e in history}
    for stream in by_stream(records).values():
        # Read in offset order, each stream is its events in order, possibly followed by a replay.
        versions = [headers.decode(r.headers).version for r in stream]
        assert versions[-6:] == [1, 2, 3, 4, 5, 6]
    assert await store.checkpoint(RELAY_CONSUMER) == history[-1].position


async def test_cancelled_mid_batch_then_restarted_delivers_every_event(
    store: EventStore, bootstrap: str, prefix: str
) -> None:
    history = await append_history(store, streams=4, per_stream=5)
    stalled = asyncio.Event()

    class StallingProducer(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka ships no type hints
        """Hangs the batch after 7 sends, so the relay is cancelled with acknowledgements outstanding."""

        sends = 0

        async def send(self, *args: Any, **kwargs: Any) -> Any:
            StallingProducer.sends += 1
            if StallingProducer.sends > 7:
                stalled.set()
                await asyncio.Event().wait()
            return await super().send(*args, **kwargs)

    relay = KafkaRelay(store, bootstrap, prefix=prefix, batch_size=1000,
                       producer_factory=lambda: StallingProducer(**producer_settings(bootstrap)))
    running = asyncio.create_task(relay.run())
    await asyncio.wait_for(stalled.wait(), 30)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert await store.checkpoint(RELAY_CONSUMER) == 0

    assert await KafkaRelay(store, bootstrap, prefix=prefix).catch_up() == len(history)

    records = await read_topic(bootstrap, f"{prefix}workspace", len(history) + 7)
    assert {_event_id(r) for r in records} == {e.envelope.event_id for e in history}
    assert len(records) == len(history) + 7


async def test_each_stream_type_gets_its_topic(
    sqlite_store: SqliteEventStore, bootstrap: str, prefix: str
) -> None:
    workspaces = await append_history(sqlite_store, streams=2, per_stream=2)
    # The relay never decodes payloads, so a workspace payload stands in for an `image` stream's event.
    [copied] = await sqlite_store.append("image-3f9a2c", [_copy(workspaces[0])], 0)

    await KafkaRelay(sqlite_store, bootstrap, prefix=prefix).catch_up()

    [record] = await read_topic(bootstrap, f"{prefix}image", 1)
    assert headers.decode(record.headers) == copied.envelope
    assert len(await read_topic(bootstrap, f"{prefix}workspace", len(workspaces))) == len(workspaces)


def _copy(event: StoredEvent) -> NewEvent:
    e = event.envelope
    return NewEvent(type=e.type, schema=e.schema, payload=event.payload, actor=e.actor,
                    correlation_id=e.correlation_id)


async def _checkpoint_reached(store: EventStore, position: int) -> bool:
    return await store.checkpoint(RELAY_CONSUMER) >= position


def _event_id(record: Any) -> uuid.UUID:
    return headers.decode(record.headers).event_id


def _position(record: Any) -> int:
    return headers.decode(record.headers).position


def _spec(store: EventStore) -> str:
    if isinstance(store, SqliteEventStore):
        return f"sqlite:{store.path}"
    assert isinstance(store, PostgresEventStore)
    return f"postgres:{store.schema}"
