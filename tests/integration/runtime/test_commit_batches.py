"""The worker commits the effects of events done at the same time together; when one of them spoils the
batch (a stream conflict), each is committed on its own and retried as usual: still one effect each."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from domain.events import Recorded
from handlers.runtime.handler import HandlerContext
from handlers.runtime.worker import RetryPolicy
from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from infra.store.records import Append
from infra.store.sqlite import SqliteEventStore
from tests.factories import CODEC, created, phase
from tests.integration.runtime.conftest import running
from tests.integration.runtime.echo_handler import EchoHandler
from tests.waiting import eventually

SHARED = "effects-shared.all"
PATIENT = RetryPolicy(attempts=100, initial_wait=0.001, max_wait=0.01)


class SharedEffects(EchoHandler):
    """Every source stream's effect goes to one stream: concurrent events conflict on it."""

    def effects_stream(self, source_stream: str) -> str:
        return SHARED


async def check_one_effect_each(store: EventStore) -> None:
    for index in range(12):
        await store.append(f"workspace-c{index}", [created(f"c{index}"), phase()], 0)
    handler = SharedEffects(name="shared")
    async with running(handler, store, retry=PATIENT) as worker:
        await eventually(lambda: worker.handled == 24, within=30)
    assert worker.parked == 0
    effects = [CODEC.decode(r.envelope.type, r.envelope.schema, r.payload).reason  # type: ignore[attr-defined]
               for r in await store.read_stream(SHARED)]
    assert sorted(effects) == sorted(f"workspace-c{i}@{v}" for i in range(12) for v in (1, 2))


async def test_conflicting_effects_in_one_batch_each_land_once_sqlite(sqlite_store: SqliteEventStore) -> None:
    await check_one_effect_each(sqlite_store)


@pytest.mark.postgres
async def test_conflicting_effects_in_one_batch_each_land_once_postgres(pg_store: PostgresEventStore) -> None:
    await check_one_effect_each(pg_store)


class EveryOther(EchoHandler):
    """Effects for odd versions only: the even ones are decided without effects (tracking records alone)."""

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        appends = await super().handle(event, context)
        return appends if event.envelope.version % 2 else []


async def test_decisions_without_effects_land_their_records_and_keep_the_stream_order(
    sqlite_store: SqliteEventStore,
) -> None:
    for index in range(4):
        await sqlite_store.append(f"workspace-o{index}", [created(f"o{index}")] + [phase() for _ in range(9)], 0)
    handler = EveryOther(name="odd")
    async with running(handler, sqlite_store) as worker:
        await eventually(lambda: worker.handled == 40)  # counted once each record is in
    sources = [e.position for e in await sqlite_store.read_all(0, 1000) if e.stream_id.startswith("workspace-")]
    assert await sqlite_store.checkpoint("odd") >= max(sources)  # every one of them done
    assert worker.parked == 0
    effects = [CODEC.decode(r.envelope.type, r.envelope.schema, r.payload).reason  # type: ignore[attr-defined]
               for r in await sqlite_store.read_all(0, 1000) if r.stream_id.startswith("effects-odd.")]
    assert sorted(effects) == sorted(f"workspace-o{i}@{v}" for i in range(4) for v in (1, 3, 5, 7, 9))
    by_stream: dict[str, list[int]] = {}
    for stream, version in handler.seen:
        by_stream.setdefault(stream, []).append(version)
    assert all(versions == list(range(1, 11)) for versions in by_stream.values())
