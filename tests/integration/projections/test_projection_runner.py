"""Projection runner on the real stores: checkpoints kept with the documents, rebuild equals live."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from domain.workspace.events import InstanceRequested, PortVisibilityChanged, WorkspaceDeleted
from infra.readmodel.contract import DocKey, ReadModelStore
from infra.readmodel.postgres import PostgresReadModelStore
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from infra.store.records import NewEvent
from infra.store.sqlite import SqliteEventStore
from projections.runner import ProjectionRunner
from projections.workspaces import WorkspacesProjection
from schemas.codec import EventCodec
from tests.conftest import PG_DSN, fresh_pg_schema
from tests.factories import created, new_event, phase
from tests.waiting import eventually


@pytest.fixture(params=["sqlite", "postgres"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[EventStore, ReadModelStore]]:
    if request.param == "sqlite":
        events: EventStore = await SqliteEventStore(tmp_path / "berth.db", poll_interval=0.05).open()
        views: ReadModelStore = await SqliteReadModelStore(tmp_path / "berth.db").open()
        yield events, views
        await views.close()
        await events.close()
        return
    async with fresh_pg_schema() as schema:
        events = await PostgresEventStore(PG_DSN, schema=schema, poll_interval=0.05).open()
        views = await PostgresReadModelStore(PG_DSN, schema=schema).open()
        yield events, views
        await views.close()
        await events.close()


async def write_history(store: EventStore, workspaces: int, seed: int) -> None:
    """A random but valid history: workspaces created, started, moved through phases, some deleted."""
    rng = random.Random(seed)
    for index in range(workspaces):
        stream = f"workspace-w{index}"
        history: list[NewEvent] = [created(f"w{index}", owner=rng.choice(["alice", "bob"])),
                                   new_event(InstanceRequested(instance_id=f"i{index}"))]
        for name in ["preparing", "scheduled", "creating", "initializing", "running"][: rng.randint(0, 5)]:
            history.append(phase(f"i{index}", name))
        if rng.random() < 0.2:
            history.append(new_event(WorkspaceDeleted(reason="test")))
        await store.append(stream, history, 0)


async def test_a_rebuilt_read_model_equals_the_live_one(stores: tuple[EventStore, ReadModelStore]) -> None:
    events, views = stores
    runner = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=7)
    live = asyncio.create_task(runner.run(idle_wait=0.05))
    await write_history(events, 40, seed=1)
    head = await events.head_position()
    await eventually(lambda: caught_up(views, head))
    live.cancel()
    await asyncio.gather(live, return_exceptions=True)
    before = await views.dump("workspaces")
    assert before, "the live projection built documents"

    reached = await runner.rebuild()
    assert reached == head
    assert await views.dump("workspaces") == before


async def test_documents_follow_the_workspace_lifecycle(stores: tuple[EventStore, ReadModelStore]) -> None:
    events, views = stores
    await events.append("workspace-amber-otter-k3x9qa",
                        [created(), new_event(InstanceRequested(instance_id="i1")), phase("i1", "preparing"),
                         phase("i1", "failed", reason="image build failed")], 0)
    await events.append("workspace-gone", [created("gone"), new_event(WorkspaceDeleted(reason="x"))], 0)
    runner = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec())
    await runner.catch_up()
    doc = await views.get("workspaces", "workspaces", "amber-otter-k3x9qa")
    assert doc is not None
    assert (doc["phase"], doc["reason"], doc["instance_id"], doc["owner"], doc["version"]) == (
        "failed", "image build failed", "i1", "alice", 4)
    assert await views.get("workspaces", "workspaces", "gone") is None
    assert [d["id"] for d in await views.list("workspaces", "workspaces")] == ["amber-otter-k3x9qa"]


async def test_an_undecodable_event_is_parked_and_the_projection_goes_on(
    stores: tuple[EventStore, ReadModelStore],
) -> None:
    events, views = stores
    good = created("good")
    bad = NewEvent(type=good.type, schema="ffffffffffffffff", payload=b"", actor="t",
                   correlation_id=good.correlation_id)
    await events.append("workspace-bad", [bad], 0)
    await events.append("workspace-good", [good], 0)
    await ProjectionRunner(WorkspacesProjection(), events, views, EventCodec()).catch_up()
    assert list(await views.dump("workspaces")) == [DocKey("workspaces", "good")]
    (letter,) = await events.dead_letters("projection:workspaces")
    assert "ffffffffffffffff" in letter.error


async def test_a_replay_running_beside_a_live_runner_leaves_one_consistent_model(
    stores: tuple[EventStore, ReadModelStore],
) -> None:
    events, views = stores
    await write_history(events, 30, seed=2)
    live_runner = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=5)
    live = asyncio.create_task(live_runner.run(idle_wait=0.05))
    await ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=5).rebuild()
    await write_history_more(events)
    head = await events.head_position()
    await eventually(lambda: caught_up(views, head))
    live.cancel()
    await asyncio.gather(live, return_exceptions=True)
    settled = await views.dump("workspaces")
    await ProjectionRunner(WorkspacesProjection(), events, views, EventCodec()).rebuild()
    assert await views.dump("workspaces") == settled


async def write_history_more(store: EventStore) -> None:
    await store.append("workspace-late", [created("late")], 0)


async def caught_up(views: ReadModelStore, head: int) -> bool:
    return await views.checkpoint("workspaces") >= head


def opened(port: int) -> NewEvent:
    """An event whose effect adds to the document (each port's visibility is kept): a document that missed
    one shows it, where a phase change would be overwritten by the next."""
    return new_event(PortVisibilityChanged(port=port, visibility="public"))


async def rebuilt_fresh(events: EventStore, views: ReadModelStore) -> dict[DocKey, dict[str, object]]:
    await ProjectionRunner(WorkspacesProjection(), events, views, EventCodec()).rebuild()
    return await views.dump("workspaces")


@pytest.mark.parametrize("limits", [
    {"batch": 3, "rebuild_batch": 4, "cached_docs": 2, "flush_docs": 2, "flush_events": 5},
    {"batch": 7, "rebuild_batch": 50, "cached_docs": 1000, "flush_docs": 1000, "flush_events": 1000},
])
async def test_a_rebuild_with_any_page_cache_and_flush_sizes_equals_the_live_one(
    stores: tuple[EventStore, ReadModelStore], limits: dict[str, int],
) -> None:
    events, views = stores
    runner = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), **limits)
    await write_history(events, 25, seed=3)
    positions: list[int] = []
    assert await runner.catch_up(progress=positions.append) == await events.head_position()
    assert positions == sorted(positions)
    live = await views.dump("workspaces")
    assert await runner.rebuild() == await events.head_position()
    assert await views.dump("workspaces") == live == await rebuilt_fresh(events, views)


async def test_a_runner_drops_its_cached_documents_when_another_writes_the_read_model(
    stores: tuple[EventStore, ReadModelStore],
) -> None:
    """The cache of documents is only trusted at the checkpoint it was folded to: a rebuild by another
    runner (another process, `berth replay`) in between makes this one load what is stored."""
    events, views = stores
    mine = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=4)
    await write_history(events, 10, seed=4)
    await mine.catch_up()
    await ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=3).rebuild()
    await events.append("workspace-w1", [opened(8001)], await events.stream_version("workspace-w1"))
    await mine.catch_up()
    after_rebuild = await views.dump("workspaces")
    assert after_rebuild == await rebuilt_fresh(events, views)

    # Another runner moved the read model past where this one's cache is folded to.
    await mine.catch_up()
    await events.append("workspace-w3", [opened(8001)], await events.stream_version("workspace-w3"))
    await ProjectionRunner(WorkspacesProjection(), events, views, EventCodec()).catch_up()
    await events.append("workspace-w3", [opened(8002)], await events.stream_version("workspace-w3"))
    await mine.catch_up()
    assert await views.dump("workspaces") == await rebuilt_fresh(events, views)

    # The other way round: this runner's rebuild while another keeps the read model live.
    other = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=2)
    await other.catch_up()
    await mine.rebuild()
    await events.append("workspace-w2", [opened(8001)], await events.stream_version("workspace-w2"))
    await other.catch_up()
    await mine.catch_up()
    assert await views.dump("workspaces") == await rebuilt_fresh(events, views)


async def test_catch_up_and_run_of_one_runner_share_its_cache_safely(
    stores: tuple[EventStore, ReadModelStore],
) -> None:
    """The gateway calls catch_up on the runner that also runs live (the users projection): the two never
    fold at the same time, so neither applies an event twice to a cached document."""
    events, views = stores
    runner = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=2)
    live = asyncio.create_task(runner.run(idle_wait=0.05))
    for seed in range(3):
        await write_history_at(events, 6, seed=10 + seed)
        await asyncio.gather(*(runner.catch_up() for _ in range(3)))
    head = await events.head_position()
    await eventually(lambda: caught_up(views, head))
    live.cancel()
    await asyncio.gather(live, return_exceptions=True)
    assert await views.dump("workspaces") == await rebuilt_fresh(events, views)


async def write_history_at(store: EventStore, workspaces: int, seed: int) -> None:
    rng = random.Random(seed)
    for index in range(workspaces):
        stream = f"workspace-s{seed}-{index}"
        history: list[NewEvent] = [created(f"s{seed}-{index}"), new_event(InstanceRequested(instance_id="i"))]
        history += [phase("i", name) for name in ["preparing", "scheduled", "running"][: rng.randint(0, 3)]]
        await store.append(stream, history, 0)


class _InterferingViews:
    """The real read model store, but before this runner's next write, `meanwhile` runs (another runner
    writing first, as a replay in another process may at any moment): the write is refused with
    CheckpointMoved."""

    def __init__(self, views: ReadModelStore) -> None:
        self._views = views
        self.meanwhile: Callable[[], Awaitable[object]] | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self._views, name)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
        await self._views.save(*args, **kwargs)


async def test_a_write_refused_because_another_runner_wrote_first_drops_the_cache(
    stores: tuple[EventStore, ReadModelStore],
) -> None:
    events, views = stores
    interfering = _InterferingViews(views)
    # One event per page and a write after each: the catch-up goes on after its write is refused.
    mine = ProjectionRunner(WorkspacesProjection(), events, interfering, EventCodec(),  # type: ignore[arg-type]
                            batch=1, rebuild_batch=1, flush_events=1)
    await write_history(events, 4, seed=5)
    await mine.catch_up()
    head = await events.head_position()
    for port in (8001, 8002, 8003):
        await events.append("workspace-w1", [opened(port)], await events.stream_version("workspace-w1"))

    async def another_runner_further() -> None:
        # Past the page this runner folded (its cached w1 has 8001, not 8002).
        await ProjectionRunner(WorkspacesProjection(), events, views, EventCodec(), batch=1,
                               rebuild_batch=1).catch_up(until=head + 2)

    interfering.meanwhile = another_runner_further
    assert await mine.catch_up() == head + 3
    doc = await views.get("workspaces", "workspaces", "w1")
    assert doc is not None and set(doc["visibility"]) == {"8001", "8002", "8003"}
    assert await views.dump("workspaces") == await rebuilt_fresh(events, views)
