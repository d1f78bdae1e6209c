"""In distributed mode every node agent reads every stop; only the agent of the node the instance was scheduled on
may act on it. Another one, finding no container of its own, would say "stopped" before the real node backed the
workspace up."""

from __future__ import annotations

from pathlib import Path

from domain.events import Recorded
from domain.workspace.events import InstancePhaseChanged, InstanceRequested
from handlers.runtime.handler import HandlerContext
from infra.store.sqlite import SqliteEventStore
from node_agent.docker_runtime import DockerRuntime
from node_agent.lifecycle import NodeAgentHandler
from tests.factories import CODEC, created, new_event, phase

STREAM = "workspace-amber-otter-k3x9qa"


async def stopping_on(store: SqliteEventStore, node: str) -> Recorded:
    """A workspace whose instance was scheduled on `node` and is stopping before its container was made."""
    await store.append(STREAM, [created(), new_event(InstanceRequested(instance_id="i-1")), phase("i-1", "preparing"),
                                phase("i-1", "scheduled", f"node {node}"), phase("i-1", "stopping")], 0)
    last = (await store.read_stream(STREAM))[-1]
    return Recorded(last.envelope, CODEC.decode(last.envelope.type, last.envelope.schema, last.payload))


def handler_of(runtime: DockerRuntime, tmp_path: Path) -> NodeAgentHandler:
    return NodeAgentHandler(runtime, tmp_path / "supervisor", tmp_path / "instances")


async def test_another_nodes_stop_is_left_to_that_node(sqlite_store: SqliteEventStore, runtime: DockerRuntime,
                                                      tmp_path: Path) -> None:
    event = await stopping_on(sqlite_store, f"{runtime.node}-other")
    await handler_of(runtime, tmp_path).handle(event, HandlerContext(sqlite_store, CODEC))
    assert await sqlite_store.stream_version(STREAM) == 5  # nothing appended


async def test_its_own_nodes_stop_is_handled(sqlite_store: SqliteEventStore, runtime: DockerRuntime,
                                             tmp_path: Path) -> None:
    event = await stopping_on(sqlite_store, runtime.node)
    await handler_of(runtime, tmp_path).handle(event, HandlerContext(sqlite_store, CODEC))
    last = (await sqlite_store.read_stream(STREAM))[-1]
    stopped = CODEC.decode(last.envelope.type, last.envelope.schema, last.payload)
    assert isinstance(stopped, InstancePhaseChanged)
    assert (stopped.phase, stopped.reason) == ("stopped", "no container was running")
