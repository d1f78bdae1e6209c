"""The scheduler worker on the real SQLite store: instances go to a registered node with room, fail with the
reason when none has, free their slot when they end, and racing placements never overfill a node."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from domain.aggregate import fold
from domain.node.decider import NodeDecider, NodeState, RegisterNode, node_stream
from domain.workspace.events import ImageReady, InstancePhaseChanged, InstanceRequested, WorkspaceDeleted
from handlers.runtime.handler import HandlerContext
from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import Worker
from handlers.scheduler import ConfiguredNodes, SchedulerHandler
from infra.store.sqlite import SqliteEventStore
from node_agent.registration import register_node
from schemas.codec import EventCodec
from tests.factories import CODEC, created, new_event, phase
from tests.waiting import eventually

GiB = 1 << 30


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
    opened = await SqliteEventStore(tmp_path / "berth.db", poll_interval=0.02).open()
    yield opened
    await opened.close()


@asynccontextmanager
async def schedulers(store: SqliteEventStore, *nodes: str, replicas: int = 1) -> AsyncIterator[None]:
    """`replicas` scheduler workers, each with its own handler, as separate processes would run them."""
    workers = [Worker(SchedulerHandler(ConfiguredNodes(*nodes)),
                      StoreEventSource(store, "scheduler", checkpoint_interval=0.05), store, EventCodec())
               for _ in range(replicas)]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield
    finally:
        for worker in workers:
            await worker.stop(5)
        await asyncio.gather(*tasks, return_exceptions=True)


async def register(store: SqliteEventStore, name: str, capacity: int) -> None:
    await register_node(HandlerContext(store, CODEC), RegisterNode(name, 2, 8 * GiB, capacity))


async def image_ready(store: SqliteEventStore, workspace_id: str, instance_id: str = "i1") -> None:
    """A workspace whose instance is preparing and whose image just became ready."""
    await store.append(f"workspace-{workspace_id}", [
        created(workspace_id), new_event(InstanceRequested(instance_id=instance_id)), phase(instance_id, "preparing"),
        new_event(ImageReady(instance_id=instance_id, image="berth/base:latest", cache_key="k", cache_hit=True))], 0)


async def append(store: SqliteEventStore, workspace_id: str, *events: object) -> None:
    stream = f"workspace-{workspace_id}"
    await store.append(stream, [new_event(e) for e in events],  # type: ignore[arg-type]
                       await store.stream_version(stream))


async def last_phase(store: SqliteEventStore, workspace_id: str) -> tuple[str, str | None] | None:
    phases = [CODEC.decode(e.envelope.type, e.envelope.schema, e.payload)
              for e in await store.read_stream(f"workspace-{workspace_id}")
              if e.envelope.type == InstancePhaseChanged.TYPE]
    return (phases[-1].phase, phases[-1].reason) if phases else None  # type: ignore[attr-defined]


def settled(store: SqliteEventStore, workspace_id: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        found = await last_phase(store, workspace_id)
        return found is not None and found[0] in ("scheduled", "failed")
    return check


async def node(store: SqliteEventStore, name: str) -> NodeState:
    stored = await store.read_stream(node_stream(name))
    return fold(NodeDecider(), (CODEC.decode(e.envelope.type, e.envelope.schema, e.payload) for e in stored)).state


async def test_a_full_node_fails_the_instance_with_the_reason_until_a_slot_is_released(
        store: SqliteEventStore) -> None:
    await register(store, "n1", capacity=1)
    async with schedulers(store, "n1"):
        await image_ready(store, "first")
        await eventually(settled(store, "first"))
        assert await last_phase(store, "first") == ("scheduled", "node n1")
        await image_ready(store, "second")
        await eventually(settled(store, "second"))
        assert await last_phase(store, "second") == ("failed", "no node has room: n1 runs 1 of 1")
        assert (await node(store, "n1")).running == 1

        # The first instance stops: its slot is free again, and the next instance gets it.
        await append(store, "first", InstancePhaseChanged(instance_id="i1", phase="stopping"),
                     InstancePhaseChanged(instance_id="i1", phase="stopped"))
        await eventually(lambda: _running(store, "n1", 0))
        await image_ready(store, "third")
        await eventually(settled(store, "third"))
        assert await last_phase(store, "third") == ("scheduled", "node n1")
        released = [CODEC.decode(e.envelope.type, e.envelope.schema, e.payload)
                    for e in await store.read_stream(node_stream("n1"))][-2]
        assert released.reason == "instance stopped"  # type: ignore[attr-defined]


async def test_failing_and_deleting_release_the_slot(store: SqliteEventStore) -> None:
    await register(store, "n1", capacity=2)
    async with schedulers(store, "n1"):
        await image_ready(store, "fails")
        await image_ready(store, "deleted")
        await eventually(settled(store, "fails"))
        await eventually(settled(store, "deleted"))
        assert (await node(store, "n1")).running == 2
        await append(store, "fails", InstancePhaseChanged(instance_id="i1", phase="failed", reason="OOM-killed"))
        await eventually(lambda: _running(store, "n1", 1))
        await append(store, "deleted", WorkspaceDeleted(reason="deleted by alice"))
        await eventually(lambda: _running(store, "n1", 0))


async def test_without_a_registered_node_the_instance_fails_saying_so(store: SqliteEventStore) -> None:
    async with schedulers(store, "local"):
        await image_ready(store, "lonely")
        await eventually(settled(store, "lonely"))
    assert await last_phase(store, "lonely") == ("failed", "no node has room: no node is registered")


async def test_the_emptiest_node_gets_the_instance(store: SqliteEventStore) -> None:
    await register(store, "a", capacity=2)
    await register(store, "b", capacity=2)
    async with schedulers(store, "a", "b"):
        for name in ("w1", "w2", "w3"):
            await image_ready(store, name)
            await eventually(settled(store, name))
    assert [await last_phase(store, n) for n in ("w1", "w2", "w3")] == [
        ("scheduled", "node a"), ("scheduled", "node b"), ("scheduled", "node a")]


@pytest.mark.parametrize("replicas", [1, 3])
async def test_racing_placements_never_overfill_a_node(store: SqliteEventStore, replicas: int) -> None:
    """Twelve images ready at once for three slots, with one or three schedulers (as separate processes would
    be, sharing only the store): exactly three are placed, the others fail with the reason."""
    await register(store, "n1", capacity=3)
    async with schedulers(store, "n1", replicas=replicas):
        names = [f"ws{i}" for i in range(12)]
        await asyncio.gather(*(image_ready(store, n) for n in names))
        for name in names:
            await eventually(settled(store, name))
        outcomes = [await last_phase(store, n) for n in names]
    assert sum(1 for o in outcomes if o == ("scheduled", "node n1")) == 3
    assert sum(1 for o in outcomes if o == ("failed", "no node has room: n1 runs 3 of 3")) == 9
    state = await node(store, "n1")
    assert state.running == 3
    assert {p.workspace_id for p in state.placements} == {n for n, o in zip(names, outcomes, strict=True)
                                                          if o is not None and o[0] == "scheduled"}


async def _running(store: SqliteEventStore, name: str, count: int) -> bool:
    return (await node(store, name)).running == count
