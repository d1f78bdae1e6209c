"""The node agent registers its node when it starts: what the engine reports (CPUs, memory) and how many
instances it takes, as `node.registered` on the node's stream. A restart with the same facts appends
nothing, so the stream grows only when the node really changed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.envelope import Cause
from domain.errors import StreamConflict
from domain.node.decider import NodeDecider, NodeState, RegisterNode, node_stream
from handlers.runtime.handler import HandlerContext
from node_agent.capacity import default_capacity
from node_agent.engine import Engine, engine_errors
from node_agent.workspace_classes import WORKSPACE_CLASSES, WorkspaceClass

_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class NodeFacts:
    cpus: int
    memory_bytes: int


def facts_from_info(info: Mapping[str, Any]) -> NodeFacts:
    """From `docker info`: `NCPU` and `MemTotal` are what the engine can give its containers."""
    return NodeFacts(cpus=int(info["NCPU"]), memory_bytes=int(info["MemTotal"]))


async def engine_facts(engine: Engine) -> NodeFacts:
    def read() -> NodeFacts:
        with engine_errors("reading the engine's CPUs and memory"):
            return facts_from_info(engine.api.info())

    return await asyncio.to_thread(read)


def registration(name: str, facts: NodeFacts, capacity: int | None,
                 classes: Mapping[str, WorkspaceClass] = WORKSPACE_CLASSES) -> RegisterNode:
    """`capacity`: BERTH_NODE_CAPACITY, or None to derive it from the facts."""
    chosen = capacity if capacity is not None else default_capacity(facts.cpus, facts.memory_bytes, classes)
    return RegisterNode(name, facts.cpus, facts.memory_bytes, chosen)


async def register_node(context: HandlerContext, command: RegisterNode) -> NodeState:
    """Registers (or re-registers changed facts); returns the node as its stream now says."""
    decider = NodeDecider()
    stream = node_stream(command.name)
    for attempt in range(_ATTEMPTS):
        current = await context.load(stream, decider)
        events = decider.decide(current.state, command)
        if not events:
            return current.state
        try:
            await context.store.commit([context.append(stream, events, current.version,
                                                       Cause(f"node-agent-{command.name}"))])
        except StreamConflict:
            if attempt == _ATTEMPTS - 1:
                raise
            continue  # a placement landed meanwhile: decide again on the new version
        state = current.state
        for event in events:
            state = decider.evolve(state, event)
        return state
    raise AssertionError("unreachable")
