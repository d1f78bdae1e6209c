"""The scheduler worker: an instance whose image is ready is placed on a registered node with room for it,
or fails saying that no node has room; a slot is released when its instance stops, fails or its
workspace is deleted.

Where the truth about room lives: each node's stream (`node-<name>`: its registration and placements),
folded by the scheduler itself, not the nodes read model. The read model lags the log, so two instances
scheduled a moment apart would both see the last free slot; the stream does not: a placement is appended
at the node stream's version in the same commit as the workspace's `scheduled`, so of two racing for one
slot the store refuses the second, which is decided again on the new state (and fails if the node is
now full). That holds across processes too (distributed mode's scheduler replicas share nothing but the
store). Within one process a lock takes turns, so concurrent placements do not even conflict; each node's
fold is cached and caught up with only the events after it, so a long-lived node costs a short read.

Which nodes exist comes from a `NodeDirectory`: the configured node, plus the nodes the nodes read model
lists (read by name, through infra: handlers stay independent of projections), which is how a scheduler
process in distributed mode learns of node agents elsewhere. A lagging directory can only miss a node that
registered a moment ago, never overfill one: room is always decided on the node's stream.

The scheduler commits its own decisions (like the node agent) rather than returning them to the worker:
the lock must span the commit. A redelivered event (a crash between this commit and the worker's
tracking record) changes nothing: a placed instance is no longer `preparing`, a released one is not
placed any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from domain.aggregate import Versioned
from domain.envelope import Cause
from domain.errors import StreamConflict, TemporaryError
from domain.events import DomainEvent, Recorded
from domain.node.decider import NodeDecider, NodeState, PlaceInstance, ReleaseInstance, ReleaseWorkspace, node_stream
from domain.node.placement import choose_node, no_room_reason
from domain.workspace.decider import AdvanceInstance, WorkspaceDecider
from domain.workspace.events import ImageReady, InstancePhaseChanged, WorkspaceDeleted
from domain.workspace.phases import TERMINAL, Phase
from handlers.runtime.handler import HandlerContext
from infra.readmodel.contract import ReadModelStore
from infra.store.records import Append

NAME = "scheduler"
ATTEMPTS = 10
log = logging.getLogger(__name__)


class NodeDirectory(Protocol):
    async def names(self) -> Iterable[str]:
        """The nodes that may have registered."""


class ConfiguredNodes:
    """The nodes named in the configuration (embedded mode: this machine's one)."""

    def __init__(self, *names: str) -> None:
        self._names = names

    async def names(self) -> Iterable[str]:
        return self._names


class ReadModelNodes:
    """The nodes the nodes read model lists, plus the configured ones (registered a moment ago, perhaps
    not read yet)."""

    def __init__(self, views: ReadModelStore, *configured: str) -> None:
        self._views = views
        self._configured = configured

    async def names(self) -> Iterable[str]:
        listed = [str(doc["name"]) for doc in await self._views.list("nodes", "nodes")]
        return sorted({*listed, *self._configured})


class SchedulerHandler:
    name = NAME
    event_types = frozenset({ImageReady.TYPE, InstancePhaseChanged.TYPE, WorkspaceDeleted.TYPE})

    def __init__(self, directory: NodeDirectory) -> None:
        self._directory = directory
        self._nodes: dict[str, Versioned[NodeState]] = {}
        self._lock = asyncio.Lock()

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        payload = event.payload
        if isinstance(payload, InstancePhaseChanged) and Phase(payload.phase) not in TERMINAL:
            return []  # most phase changes: nothing to do, and nothing read
        cause = Cause(NAME).following(event.envelope, NAME)
        workspace_id = event.envelope.stream_id.removeprefix("workspace-")
        async with self._lock:
            for attempt in range(ATTEMPTS):
                try:
                    if isinstance(payload, ImageReady):
                        await self._place(event.envelope.stream_id, payload, context, cause)
                    elif isinstance(payload, InstancePhaseChanged):
                        await self._release(context, cause, ReleaseInstance(workspace_id, payload.instance_id,
                                                                            f"instance {payload.phase}"))
                    else:
                        await self._release(context, cause, ReleaseWorkspace(workspace_id, "workspace deleted"))
                    return []
                except StreamConflict as conflict:
                    if attempt == ATTEMPTS - 1:
                        raise TemporaryError(str(conflict)) from conflict  # the worker retries with backoff
                    continue  # another process appended meanwhile: decide again on the new state
        return []

    async def _place(self, stream: str, ready: ImageReady, context: HandlerContext, cause: Cause) -> None:
        decider = WorkspaceDecider()
        workspace = await context.load(stream, decider)
        state = workspace.state
        if state.instance_id != ready.instance_id or state.phase is not Phase.PREPARING:
            return  # stopped meanwhile, replaced, or already scheduled (a redelivery)
        nodes = await self._current(context)
        chosen = choose_node(nodes)
        if chosen is None or chosen.name is None:
            reason = no_room_reason(nodes)
            log.info("%s: %s", stream, reason)
            failed = decider.decide(state, AdvanceInstance(ready.instance_id, Phase.FAILED, reason))
            await context.store.commit([context.append(stream, failed, workspace.version, cause)])
            return
        placed = NodeDecider().decide(chosen, PlaceInstance(stream.removeprefix("workspace-"), ready.instance_id))
        scheduled = decider.decide(state, AdvanceInstance(ready.instance_id, Phase.SCHEDULED, f"node {chosen.name}"))
        appends = [context.append(stream, scheduled, workspace.version, cause)]
        if placed:  # empty only if a placement of this instance outlived a crash: it stands
            appends.append(context.append(node_stream(chosen.name), placed, self._nodes[chosen.name].version, cause))
        await context.store.commit(appends)
        self._remember(chosen.name, placed)

    async def _release(self, context: HandlerContext, cause: Cause,
                       command: ReleaseInstance | ReleaseWorkspace) -> None:
        decider = NodeDecider()
        for node in await self._current(context):
            released = decider.decide(node, command)
            if released and node.name is not None:
                await context.store.commit([context.append(node_stream(node.name), released,
                                                           self._nodes[node.name].version, cause)])
                self._remember(node.name, released)

    async def _current(self, context: HandlerContext) -> list[NodeState]:
        """Every directory node's state, caught up with its stream."""
        decider = NodeDecider()
        states = []
        for name in await self._directory.names():
            known = self._nodes.get(name, Versioned(decider.initial_state(), 0))
            newer = await context.store.read_stream(node_stream(name), known.version)
            state, version = known.state, known.version
            for stored in newer:
                state = decider.evolve(state, context.codec.decode(stored.envelope.type, stored.envelope.schema,
                                                                   stored.payload))
                version += 1
            self._nodes[name] = Versioned(state, version)
            states.append(state)
        return states

    def _remember(self, name: str, appended: Sequence[DomainEvent]) -> None:
        """Fold what this scheduler just committed, so the next decision does not read it back."""
        known = self._nodes[name]
        state = known.state
        for event in appended:
            state = NodeDecider().evolve(state, event)
        self._nodes[name] = Versioned(state, known.version + len(appended))
