"""The nodes read model and the workspaces read model's pin, on both real stores: documents follow the
events, and a rebuilt read model equals the live one."""

from __future__ import annotations

import asyncio
import random

from domain.node.decider import (
    NodeDecider,
    NodeState,
    NoRoom,
    PlaceInstance,
    RegisterNode,
    ReleaseInstance,
    node_stream,
)
from domain.workspace.events import InstanceRequested, PinChanged
from infra.readmodel.contract import ReadModelStore
from infra.store.contract import EventStore
from infra.store.records import NewEvent
from projections.nodes import NodesProjection, node_view
from projections.runner import ProjectionRunner
from projections.workspaces import WorkspacesProjection
from schemas.codec import EventCodec
from tests.factories import created, new_event, phase
from tests.integration.projections.test_projection_runner import stores  # noqa: F401  (the fixture)
from tests.waiting import eventually

GiB = 1 << 30


def decided(state: NodeState, command: object) -> tuple[NodeState, list[NewEvent]]:
    """The command's events (none when the node has no room: the scheduler fails the instance instead)."""
    try:
        events = NodeDecider().decide(state, command)  # type: ignore[arg-type]
    except NoRoom:
        return state, []
    for event in events:
        state = NodeDecider().evolve(state, event)
    return state, [new_event(e, actor="scheduler") for e in events]


async def write_node_history(store: EventStore, nodes: int, seed: int) -> dict[str, NodeState]:
    """Random but valid node streams (through the decider): registrations, placements, releases."""
    rng, states = random.Random(seed), {}
    for index in range(nodes):
        name = f"n{index}"
        state, events = decided(NodeState(), RegisterNode(name, 4, 16 * GiB, rng.randint(1, 4)))
        for step in range(rng.randint(0, 25)):
            roll = rng.random()
            if roll < 0.5:
                command: object = PlaceInstance(f"w{step % 5}", f"i{index}-{step}")
            elif roll < 0.9 and state.placements:
                placed = rng.choice(sorted(state.placements, key=lambda p: p.instance_id))
                command = ReleaseInstance(placed.workspace_id, placed.instance_id, "instance stopped")
            else:
                command = RegisterNode(name, 4, 16 * GiB, rng.randint(1, 4))
            state, more = decided(state, command)
            events.extend(more)
        await store.append(node_stream(name), events, 0)
        states[name] = state
    return states


async def test_node_documents_follow_their_streams_and_rebuild_equal(
        stores: tuple[EventStore, ReadModelStore]) -> None:  # noqa: F811
    events, views = stores
    runner = ProjectionRunner(NodesProjection(), events, views, EventCodec(), batch=7)
    live = asyncio.create_task(runner.run(idle_wait=0.05))
    expected = await write_node_history(events, 12, seed=3)
    head = await events.head_position()

    async def caught_up() -> bool:
        return await views.checkpoint("nodes") >= head

    await eventually(caught_up)
    live.cancel()
    await asyncio.gather(live, return_exceptions=True)
    docs = {d["name"]: d for d in await views.list("nodes", "nodes")}
    assert set(docs) == set(expected)
    for name, state in expected.items():
        shown = node_view(docs[name])
        assert (shown["capacity"], shown["running"], shown["cpus"]) == (state.capacity, state.running, 4)
        assert {(p["workspace_id"], p["instance_id"]) for p in docs[name]["instances"]} == {
            (p.workspace_id, p.instance_id) for p in state.placements}
    before = await views.dump("nodes")
    assert await runner.rebuild() == head
    assert await views.dump("nodes") == before


async def test_the_workspace_document_keeps_the_pin_across_instances_and_rebuilds_equal(
        stores: tuple[EventStore, ReadModelStore]) -> None:  # noqa: F811
    events, views = stores
    await events.append("workspace-pinny", [
        created("pinny"), new_event(InstanceRequested(instance_id="i1")), phase("i1", "preparing"),
        new_event(PinChanged(pinned=True)), phase("i1", "failed", reason="x"),
        new_event(InstanceRequested(instance_id="i2"))], 0)
    runner = ProjectionRunner(WorkspacesProjection(), events, views, EventCodec())
    await runner.catch_up()
    doc = await views.get("workspaces", "workspaces", "pinny")
    assert doc is not None and doc["pinned"] is True and doc["stopped_at"] is None and doc["phase"] == "pending"
    await events.append("workspace-pinny", [phase("i2", "stopping"), phase("i2", "stopped"),
                                            new_event(PinChanged(pinned=False))], 6)
    await runner.catch_up()
    doc = await views.get("workspaces", "workspaces", "pinny")
    assert doc is not None and doc["pinned"] is False and doc["stopped_at"] is not None
    before = await views.dump("workspaces")
    await runner.rebuild()
    assert await views.dump("workspaces") == before
