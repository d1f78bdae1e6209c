"""The worker runtime over the embedded source, on the real SQLite store."""

from __future__ import annotations

import asyncio
import random

from domain.errors import PermanentError, TemporaryError
from domain.events import Recorded
from infra.store.records import NewEvent
from infra.store.sqlite import SqliteEventStore
from tests.factories import CODEC, created, phase
from tests.integration.runtime.conftest import running
from tests.integration.runtime.echo_handler import EchoHandler
from tests.waiting import eventually


async def effects(store: SqliteEventStore, handler: EchoHandler) -> list[str]:
    """Every effect the handler recorded, over all its effects streams."""
    records = [r for r in await store.read_all(0, 100_000) if r.stream_id.startswith(f"effects-{handler.name}.")]
    return [CODEC.decode(r.envelope.type, r.envelope.schema, r.payload).reason for r in records]  # type: ignore[attr-defined]


async def test_each_event_is_handled_once_with_its_effect(sqlite_store: SqliteEventStore) -> None:
    handler = EchoHandler()
    await sqlite_store.append("workspace-a", [created("a"), phase()], 0)
    async with running(handler, sqlite_store) as worker:
        await sqlite_store.append("workspace-a", [phase(phase="scheduled")], 2)
        await eventually(lambda: worker.handled == 3)
    assert sorted(await effects(sqlite_store, handler)) == ["workspace-a@1", "workspace-a@2", "workspace-a@3"]
    # The effects stream's own events are not of interest to the handler: no feedback loop.
    assert len(handler.seen) == 3


async def test_order_is_kept_per_stream_while_streams_run_concurrently(sqlite_store: SqliteEventStore) -> None:
    gate = asyncio.Event()

    async def slow_on_blocked(event: Recorded) -> None:
        if event.envelope.stream_id == "workspace-blocked":
            await gate.wait()
        await asyncio.sleep(random.random() / 100)

    handler = EchoHandler(before_commit=slow_on_blocked)
    await sqlite_store.append("workspace-blocked", [created("blocked"), phase()], 0)
    for index in range(10):
        await sqlite_store.append(f"workspace-s{index}", [created(f"s{index}"), phase(), phase("i-1", "x")], 0)
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.handled == 30)  # the blocked stream holds up no other
        gate.set()
        await eventually(lambda: worker.handled == 32)
    by_stream: dict[str, list[int]] = {}
    for stream, version in handler.seen:
        by_stream.setdefault(stream, []).append(version)
    assert all(versions == sorted(versions) for versions in by_stream.values())
    assert len(by_stream) == 11


async def test_transient_errors_are_retried_then_succeed(sqlite_store: SqliteEventStore) -> None:
    failures = iter([TemporaryError("flaky"), TemporaryError("flaky again")])

    def flaky(_: Recorded) -> None:
        error = next(failures, None)
        if error is not None:
            raise error

    handler = EchoHandler(before_commit=flaky)
    await sqlite_store.append("workspace-a", [created("a")], 0)
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.handled == 1)
    assert await sqlite_store.dead_letters() == []
    assert len(handler.seen) == 3


async def test_persistent_transient_errors_are_parked_after_the_attempts(sqlite_store: SqliteEventStore) -> None:
    def always(_: Recorded) -> None:
        raise TemporaryError("the registry is down")

    handler = EchoHandler(before_commit=always)
    await sqlite_store.append("workspace-a", [created("a")], 0)
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.parked == 1)
    (letter,) = await sqlite_store.dead_letters("echo")
    assert letter.attempts == 3 and "the registry is down" in letter.error and "gave up" in letter.error


async def test_a_permanent_error_parks_the_event_and_the_stream_goes_on(sqlite_store: SqliteEventStore) -> None:
    def refuse_first(event: Recorded) -> None:
        if event.envelope.stream_id == "workspace-bad" and event.envelope.version == 1:
            raise PermanentError("cannot handle this one")

    handler = EchoHandler(before_commit=refuse_first)
    await sqlite_store.append("workspace-bad", [created("bad"), phase()], 0)
    await sqlite_store.append("workspace-good", [created("good")], 0)
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.handled == 2 and worker.parked == 1)
    (letter,) = await sqlite_store.dead_letters()
    assert (letter.stream_id, letter.event_type) == ("workspace-bad", "workspace.created")
    assert letter.error == "PermanentError: cannot handle this one"
    assert sorted(await effects(sqlite_store, handler)) == ["workspace-bad@2", "workspace-good@1"]


async def test_undecodable_and_unknown_schema_events_are_parked_without_blocking(
    sqlite_store: SqliteEventStore,
) -> None:
    good = created("a")
    garbage = NewEvent(type=good.type, schema=good.schema, payload=b"\xff\xff\xff", actor="test",
                       correlation_id=good.correlation_id)
    unknown = NewEvent(type=good.type, schema="0123456789abcdef", payload=good.payload, actor="test",
                       correlation_id=good.correlation_id)
    await sqlite_store.append("workspace-x", [garbage, unknown], 0)
    await sqlite_store.append("workspace-a", [good], 0)
    handler = EchoHandler()
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.handled == 1 and worker.parked == 2)
    errors = sorted(letter.error for letter in await sqlite_store.dead_letters())
    assert "not valid Avro" in errors[0]
    assert "0123456789abcdef" in errors[1] and "not among the kept schema versions" in errors[1]


async def test_a_parked_event_can_be_replayed_once_fixed(sqlite_store: SqliteEventStore) -> None:
    broken = True

    def maybe_fail(_: Recorded) -> None:
        if broken:
            raise PermanentError("bug")

    handler = EchoHandler(before_commit=maybe_fail)
    (stored,) = await sqlite_store.append("workspace-a", [created("a")], 0)
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.parked == 1)
        broken = False
        (letter,) = await sqlite_store.dead_letters()
        await worker.replay(stored, letter.attempts)
    assert await sqlite_store.dead_letters() == []
    assert await effects(sqlite_store, handler) == ["workspace-a@1"]


async def test_a_restarted_worker_resumes_without_redoing_effects(sqlite_store: SqliteEventStore) -> None:
    handler = EchoHandler()
    await sqlite_store.append("workspace-a", [created("a"), phase()], 0)
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.handled == 2)
    await sqlite_store.append("workspace-a", [phase(phase="scheduled")], 2)
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.handled == 1)
    assert len(await effects(sqlite_store, handler)) == 3


async def test_stop_lets_in_flight_work_finish_within_the_grace(sqlite_store: SqliteEventStore) -> None:
    started = asyncio.Event()

    async def slow(_: Recorded) -> None:
        started.set()
        await asyncio.sleep(0.3)

    handler = EchoHandler(before_commit=slow)
    await sqlite_store.append("workspace-a", [created("a")], 0)
    async with running(handler, sqlite_store, grace=5.0) as worker:
        await started.wait()
    assert worker.handled == 1
    assert len(await effects(sqlite_store, handler)) == 1


async def test_stop_cancels_work_that_outlives_the_grace(sqlite_store: SqliteEventStore) -> None:
    started = asyncio.Event()

    async def stuck(_: Recorded) -> None:
        started.set()
        await asyncio.sleep(60)

    handler = EchoHandler(before_commit=stuck)
    await sqlite_store.append("workspace-a", [created("a")], 0)
    loop = asyncio.get_running_loop()
    async with running(handler, sqlite_store, grace=0.2) as worker:
        await started.wait()
        begun = loop.time()
    assert loop.time() - begun < 5
    assert worker.handled == 0
    assert await effects(sqlite_store, handler) == []
    # Nothing was committed, so the next run handles it.
    assert await sqlite_store.checkpoint("echo") == 0
