"""Runtime events from the engine's stream, and reconcile as the level-triggered fallback."""

from __future__ import annotations

import asyncio

import pytest

from node_agent.docker_runtime import DockerRuntime
from node_agent.engine import Engine
from node_agent.event_stream import EventSubscription
from node_agent.reconcile import ContainerState, NodeSnapshot
from node_agent.runtime_events import (
    ContainerDied,
    ContainerOomKilled,
    ContainerRemoved,
    ContainerStarted,
    RuntimeEvent,
)
from tests.integration.node_agent.workspaces import SupervisorFiles, new_ref, run, spec_for

pytestmark = pytest.mark.docker


async def next_of(events: EventSubscription, kind: type[RuntimeEvent], within: float = 20.0) -> RuntimeEvent:
    async with asyncio.timeout(within):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"the event stream ended before a {kind.__name__}")


async def test_start_kill_and_removal_arrive_as_typed_events(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles
) -> None:
    ref = new_ref()
    async with await runtime.subscribe() as events:
        created = await runtime.create(spec_for(ref, supervisor))
        await runtime.start(ref)
        started = await next_of(events, ContainerStarted)
        assert (started.workspace_id, started.instance_id, started.container_id) == (
            ref.workspace_id, ref.instance_id, created.container_id)

        engine.api.kill(ref.container_name)
        died = await next_of(events, ContainerDied)
        assert isinstance(died, ContainerDied) and died.exit_code == 137
        assert died.instance_id == ref.instance_id

        await runtime.remove(ref)
        removed = await next_of(events, ContainerRemoved)
        assert removed.container_id == created.container_id


async def test_an_out_of_memory_kill_arrives_as_an_oom_event(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles
) -> None:
    ref = new_ref()
    await runtime.create(spec_for(ref, supervisor, workspace_class="tiny"))
    await runtime.start(ref)
    async with await runtime.subscribe() as events:
        code, _ = run(engine, ref.container_name, "python3 -c 'data = b\"x\" * (256 << 20)'")
        assert code == 137  # SIGKILL from the kernel's OOM killer
        oom = await next_of(events, ContainerOomKilled)
    assert oom.workspace_id == ref.workspace_id


async def test_events_of_other_nodes_are_not_seen(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles
) -> None:
    other = DockerRuntime(engine, runtime.blobs, node=f"{runtime.node}-other")
    ref = new_ref()
    try:
        async with await runtime.subscribe() as events:
            await other.create(spec_for(ref, supervisor))
            await other.start(ref)
            mine = new_ref()
            await runtime.create(spec_for(mine, supervisor))
            await runtime.start(mine)
            started = await next_of(events, ContainerStarted)
            assert started.workspace_id == mine.workspace_id
        assert [i.workspace_id for i in (await runtime.reconcile()).instances] == [mine.workspace_id]
    finally:
        await other.delete_workspace(ref.workspace_id)


async def test_reconcile_converges_on_what_really_exists(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles
) -> None:
    kept, vanished, stopped = new_ref(), new_ref(), new_ref()
    for ref in (kept, vanished, stopped):
        await runtime.create(spec_for(ref, supervisor))
    started = await runtime.start(kept)
    await runtime.start(vanished)
    await runtime.start(stopped)
    engine.api.kill(stopped.container_name)
    engine.api.remove_container(vanished.container_name, force=True)  # behind the runtime's back

    snapshot = await runtime.reconcile()
    assert isinstance(snapshot, NodeSnapshot)
    assert {i.instance_id for i in snapshot.instances} == {kept.instance_id, stopped.instance_id}
    running = snapshot.instance(kept.workspace_id, kept.instance_id)
    assert running is not None and running.running and running.supervisor_port == started.supervisor_port
    dead = snapshot.instance(stopped.workspace_id, stopped.instance_id)
    assert dead is not None and dead.state is ContainerState.EXITED and dead.exit_code == 137
    assert dead.supervisor_port is None
    assert snapshot.instance(vanished.workspace_id, vanished.instance_id) is None
    assert [i.instance_id for i in snapshot.running] == [kept.instance_id]
    # The vanished instance's volume is still there: the content outlives its container.
    assert {v.workspace_id for v in snapshot.volumes} == {kept.workspace_id, vanished.workspace_id,
                                                           stopped.workspace_id}


async def test_observe_hands_over_a_snapshot_then_events(
    runtime: DockerRuntime, supervisor: SupervisorFiles
) -> None:
    ref = new_ref()
    await runtime.create(spec_for(ref, supervisor))
    snapshots: list[NodeSnapshot] = []
    snapshot_taken = asyncio.Event()
    events: asyncio.Queue[RuntimeEvent] = asyncio.Queue()

    def on_snapshot(snapshot: NodeSnapshot) -> None:
        snapshots.append(snapshot)
        snapshot_taken.set()

    observing = asyncio.create_task(runtime.observe(events.put_nowait, on_snapshot))
    try:
        async with asyncio.timeout(10):
            await snapshot_taken.wait()
        assert [i.state for i in snapshots[0].instances] == [ContainerState.CREATED]
        await runtime.start(ref)
        async with asyncio.timeout(10):
            assert isinstance(await events.get(), ContainerStarted)
    finally:
        observing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await observing


async def test_deleting_a_workspace_removes_containers_volume_and_backups(
    runtime: DockerRuntime, supervisor: SupervisorFiles
) -> None:
    ref = new_ref()
    await runtime.create(spec_for(ref, supervisor))
    await runtime.start(ref)
    await runtime.backup(ref)
    deletion = await runtime.delete_workspace(ref.workspace_id)
    assert (deletion.containers_removed, deletion.volume_removed, deletion.backups_deleted) == (1, True, 1)
    snapshot = await runtime.reconcile()
    assert snapshot.instances == () and snapshot.volumes == ()
    assert await runtime.blobs.list(f"backups/{ref.workspace_id}/") == []
