"""The event store contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from domain.errors import Conflict, StreamConflict
from infra.store.contract import AlreadyProcessed, EventStore
from infra.store.records import Append, DeadLetter, StoredEvent, Tracking
from tests.factories import created, phase
from tests.integration.store.conftest import StoreFactory

STREAM = "workspace-amber-otter-k3x9qa"


async def test_append_assigns_versions_and_increasing_positions(store: EventStore) -> None:
    first = await store.append(STREAM, [created(), phase()], expected_version=0)
    second = await store.append(STREAM, [phase(phase="scheduled")], expected_version=2)

    stored = await store.read_stream(STREAM)
    assert [e.envelope.version for e in stored] == [1, 2, 3]
    assert [e.envelope.event_id for e in stored] == [e.envelope.event_id for e in first + second]
    positions = [e.position for e in stored]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert stored[0].envelope.stream_type == "workspace"
    assert await store.stream_version(STREAM) == 3
    assert await store.head_position() == positions[-1]


async def test_envelope_and_payload_round_trip(store: EventStore) -> None:
    event = phase(reason="why not")
    (stored,) = await store.append(STREAM, [event], expected_version=0)
    (read,) = await store.read_stream(STREAM)
    assert read == stored
    assert read.payload == event.payload
    assert read.envelope.occurred_at == event.occurred_at
    assert read.envelope.correlation_id == event.correlation_id
    assert read.envelope.actor == "test" and read.envelope.schema == event.schema


async def test_stale_version_names_the_stream_and_both_versions(store: EventStore) -> None:
    await store.append(STREAM, [created(), phase()], expected_version=0)
    with pytest.raises(StreamConflict) as raised:
        await store.append(STREAM, [phase(phase="scheduled")], expected_version=1)
    assert raised.value.stream_id == STREAM
    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert STREAM in str(raised.value) and "1" in str(raised.value) and "2" in str(raised.value)
    assert await store.stream_version(STREAM) == 2


async def test_retrying_the_same_event_ids_is_idempotent(store: EventStore) -> None:
    events = [created(), phase()]
    first = await store.append(STREAM, events, expected_version=0)
    again = await store.append(STREAM, events, expected_version=0)
    assert again == first
    assert len(await store.read_stream(STREAM)) == 2


async def test_an_event_id_cannot_be_stored_twice(store: EventStore) -> None:
    event = created()
    await store.append(STREAM, [event], expected_version=0)
    with pytest.raises(Conflict):
        await store.append("workspace-other-one-x", [event], expected_version=0)
    assert await store.read_stream("workspace-other-one-x") == []


async def test_commit_is_all_or_nothing_across_streams(store: EventStore) -> None:
    await store.append("workspace-b", [created("b")], expected_version=0)
    with pytest.raises(StreamConflict):
        await store.commit([
            Append("workspace-a", (created("a"),), 0),
            Append("workspace-b", (phase(),), 0),  # stale: b is at 1
        ])
    assert await store.read_stream("workspace-a") == []
    assert await store.head_position() == 1


async def test_read_all_pages_through_the_global_log(store: EventStore) -> None:
    for index in range(5):
        await store.append(f"workspace-w{index}", [created(f"w{index}"), phase()], expected_version=0)
    everything = await store.read_all(0, limit=100)
    assert len(everything) == 10
    page = await store.read_all(everything[3].position, limit=4)
    assert page == everything[4:8]


async def test_subscribe_catches_up_then_follows_live(store: EventStore) -> None:
    await store.append(STREAM, [created(), phase()], expected_version=0)
    seen: list[StoredEvent] = []

    async def follow() -> None:
        async for event in store.subscribe(0, batch=1):
            seen.append(event)
            if len(seen) == 4:
                return

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.1)
    await store.append(STREAM, [phase(phase="scheduled"), phase(phase="creating")], expected_version=2)
    await asyncio.wait_for(follower, 5)
    assert [e.envelope.version for e in seen] == [1, 2, 3, 4]


async def test_concurrent_writers_never_let_a_follower_skip_an_event(store_factory: StoreFactory) -> None:
    """Writers on separate connections race; a live follower must see every committed event once,
    in position order, including events that committed after one with a higher position was read."""
    writers = [await store_factory() for _ in range(4)]
    follower_store = await store_factory()
    per_writer, streams_per_writer = 40, 4
    total = len(writers) * per_writer
    seen: list[int] = []

    async def follow() -> None:
        async for event in follower_store.subscribe(0, batch=7):
            seen.append(event.position)
            if len(seen) == total:
                return

    async def write(index: int, writer: EventStore) -> None:
        versions = dict.fromkeys(range(streams_per_writer), 0)
        for step in range(per_writer):
            stream = step % streams_per_writer
            await writer.append(f"workspace-w{index}-s{stream}", [phase(phase=str(step))], versions[stream])
            versions[stream] += 1

    follower = asyncio.create_task(follow())
    await asyncio.gather(*(write(i, w) for i, w in enumerate(writers)))
    await asyncio.wait_for(follower, 30)
    committed = [e.position for e in await follower_store.read_all(0, limit=10_000)]
    assert seen == committed
    assert len(committed) == total and seen == sorted(seen)


async def test_racing_appends_to_one_stream_let_exactly_one_win(store_factory: StoreFactory) -> None:
    stores = [await store_factory() for _ in range(3)]
    await stores[0].append(STREAM, [created()], expected_version=0)
    results = await asyncio.gather(
        *(s.append(STREAM, [phase(instance_id=f"i-{n}")], expected_version=1) for n, s in enumerate(stores)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, list) for r in results) == 1
    assert sum(isinstance(r, StreamConflict) for r in results) == 2
    assert await stores[0].stream_version(STREAM) == 2


async def test_tracking_is_committed_with_the_effects_once(store: EventStore) -> None:
    tracking = Tracking("worker", 41)
    await store.commit([Append(STREAM, (created(),), 0)], tracking)
    assert await store.is_tracked("worker", 41)
    assert not await store.is_tracked("other", 41)
    with pytest.raises(AlreadyProcessed):
        await store.commit([Append("workspace-x", (created("x"),), 0)], tracking)
    assert await store.read_stream("workspace-x") == []


async def test_checkpoints_only_move_forward_and_prune_tracking(store: EventStore) -> None:
    assert await store.checkpoint("worker") == 0
    await store.commit([], Tracking("worker", 3))
    await store.save_checkpoint("worker", 5)
    await store.save_checkpoint("worker", 4)
    assert await store.checkpoint("worker") == 5
    assert not await store.is_tracked("worker", 3)


async def test_dead_letters_are_kept_until_settled(store: EventStore) -> None:
    (event,) = await store.append(STREAM, [created()], expected_version=0)
    letter = DeadLetter("worker", event.position, event.envelope.event_id, STREAM, event.envelope.type,
                        "boom", attempts=3)
    await store.park(letter)
    await store.park(DeadLetter("other", event.position, event.envelope.event_id, STREAM,
                                event.envelope.type, "bang", attempts=1))
    assert await store.is_tracked("worker", event.position)
    (listed,) = await store.dead_letters("worker")
    assert (listed.error, listed.attempts, listed.stream_id) == ("boom", 3, STREAM)
    assert len(await store.dead_letters()) == 2

    await store.commit([Append("workspace-y", (created("y"),), 0)], settles=Tracking("worker", event.position))
    assert [d.consumer for d in await store.dead_letters()] == ["other"]
    await store.remove_dead_letter("other", event.position)
    assert await store.dead_letters() == []


async def test_positions_are_unique_across_many_small_appends(store: EventStore) -> None:
    for index in itertools.islice(itertools.count(), 25):
        await store.append(f"workspace-n{index}", [created(f"n{index}")], expected_version=0)
    positions = [e.position for e in await store.read_all()]
    assert positions == sorted(set(positions)) and len(positions) == 25
