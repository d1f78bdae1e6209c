"""Projection runner on the real stores: checkpoints kept with the documents, rebuild equals live."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.workspace.events import InstanceRequested, WorkspaceDeleted
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
