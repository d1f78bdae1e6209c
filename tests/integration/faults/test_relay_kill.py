"""End to end through Kafka: PostgreSQL store -> relay process SIGKILLed in the middle of batches ->
restarted -> two workers in one consumer group over KafkaEventSource, tracking in PostgreSQL.
Every event reaches the workers and has exactly one effect, although Kafka holds duplicates."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from infra.kafka.relay import RELAY_CONSUMER
from infra.store.postgres import PostgresEventStore
from infra.store.records import Append, StoredEvent
from tests.integration.faults.children import Child
from tests.integration.faults.effects import append_history, effect_counts, exactly_once_problems, source_event
from tests.integration.faults.kafka_workers import Running, group_caught_up, kafka_workers, relay_caught_up
from tests.integration.faults.waiting import eventually
from tests.integration.kafka.kafka_reading import read_topic

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

RELAY = "tests.integration.faults.relay_process"


async def test_a_relay_killed_mid_batch_loses_nothing_and_doubles_no_effect(
    pg_store: PostgresEventStore, schema: str, bootstrap: str, prefix: str, logs: Path
) -> None:
    spec = f"postgres:{schema}"
    streams = [f"workspace-r{index}-{uuid.uuid4().hex[:6]}" for index in range(8)]
    consumer = f"fxr{uuid.uuid4().hex[:6]}"
    topic = f"{prefix}workspace"
    history = await append_history(pg_store, streams, per_stream=6)

    async with kafka_workers(2, consumer, schema, bootstrap, prefix) as workers:

        def alive() -> None:
            for running in workers:
                running.check_alive()

        # 1: killed in its first batch (the whole backlog), once 20 events are in Kafka.
        await relay_until_paused(logs, spec, bootstrap, prefix, "--pause-after", "20")
        assert await pg_store.checkpoint(RELAY_CONSUMER) == 0, "the relay saved a checkpoint mid-batch"
        # Meanwhile the workers handle what got through, and writers go on.
        history += await append_history(pg_store, streams, per_stream=3, first=7)

        # 2: restarted, it starts over from position 0, and is killed in that batch again.
        await relay_until_paused(logs, spec, bootstrap, prefix, "--pause-after", "50")
        assert await pg_store.checkpoint(RELAY_CONSUMER) == 0, "the relay saved a checkpoint mid-batch"

        # 3: restarted, it catches up (checkpoints saved), then is killed in the middle of a live batch.
        target = f"{streams[3]}@11"
        relay = await Child.start(RELAY, spec, bootstrap, prefix, "--pause-at", target, logs=logs)
        try:
            await relay.expect("ready")
            await eventually("the relay caught up", lambda: relay_caught_up(pg_store), within=60, while_waiting=alive)
            burst = await append_burst(pg_store, streams, first=10, count=3)
            history += burst
            await relay.expect(f"paused at {target}", within=60)
            await relay.kill()
        finally:
            await relay.cleanup()
        checkpoint = await pg_store.checkpoint(RELAY_CONSUMER)
        assert 0 < checkpoint < burst[0].position, "the checkpoint moved past a batch the relay did not finish"

        # 4: restarted for good; it resumes from that checkpoint, then follows events appended live.
        relay = await Child.start(RELAY, spec, bootstrap, prefix, logs=logs)
        try:
            await relay.expect("ready")
            history += await append_history(pg_store, streams, per_stream=3, first=13)
            await all_handled_once(pg_store, consumer, history, workers)
            # Quiet: the relay published everything, the group is done with every record (duplicates too).
            await eventually("the relay caught up", lambda: relay_caught_up(pg_store), within=60, while_waiting=alive)
            await eventually("the consumer group caught up", lambda: group_caught_up(bootstrap, consumer, topic),
                             within=60, while_waiting=alive)
            alive()
        finally:
            await relay.cleanup()

    problems = exactly_once_problems(await effect_counts(pg_store, consumer), [e.envelope.event_id for e in history])
    assert not problems, problems
    assert await pg_store.dead_letters() == []
    records = await read_topic(bootstrap, topic, len(history))
    assert len(records) > len(history), "no duplicates reached Kafka: the kills did not happen mid-batch"
    assert sum(running.worker.handled for running in workers) == len(history)


async def relay_until_paused(logs: Path, spec: str, *args: str) -> None:
    relay = await Child.start(RELAY, spec, *args, logs=logs)
    try:
        await relay.expect("ready")
        await relay.expect("paused", within=60)
        await relay.kill()
    finally:
        await relay.cleanup()


async def append_burst(store: PostgresEventStore, streams: list[str], first: int, count: int) -> list[StoredEvent]:
    """Versions first.. of every stream in one commit: they become visible at once, so the relay
    publishes them in one batch."""
    appends = [Append(stream_id, tuple(source_event(stream_id, version) for version in range(first, first + count)),
                      first - 1) for stream_id in streams]
    return await store.commit(appends)


async def all_handled_once(store: PostgresEventStore, consumer: str, history: list[StoredEvent],
                           workers: list[Running]) -> None:
    sources = [event.envelope.event_id for event in history]

    async def every_effect_is_there() -> bool:
        counts = await effect_counts(store, consumer)
        return all(counts[event_id] for event_id in sources)

    async def explain() -> str:
        return "; ".join(exactly_once_problems(await effect_counts(store, consumer), sources)[:10])

    def alive() -> None:
        for running in workers:
            running.check_alive()

    await eventually("every event has its effect", every_effect_is_there, within=120, while_waiting=alive,
                     explain=explain)
