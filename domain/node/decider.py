"""The node decider: registration (only when something changed) and the placement of instances within
the node's capacity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import DomainEvent
from domain.node.events import InstancePlaced, InstanceReleased, NodeRegistered


def node_stream(name: str) -> str:
    return f"node-{name}"


@dataclass(frozen=True, slots=True)
class Placement:
    workspace_id: str
    instance_id: str


@dataclass(frozen=True, slots=True)
class NodeState:
    name: str | None = None
    cpus: int = 0
    memory_bytes: int = 0
    capacity: int = 0
    placements: frozenset[Placement] = field(default_factory=frozenset)

    @property
    def registered(self) -> bool:
        return self.name is not None

    @property
    def running(self) -> int:
        return len(self.placements)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.running)

    def placement_of(self, workspace_id: str, instance_id: str) -> Placement | None:
        placement = Placement(workspace_id, instance_id)
        return placement if placement in self.placements else None


class NoRoom(Conflict):
    """The node runs as many instances as its capacity allows."""


@dataclass(frozen=True, slots=True)
class RegisterNode:
    name: str
    cpus: int
    memory_bytes: int
    capacity: int


@dataclass(frozen=True, slots=True)
class PlaceInstance:
    workspace_id: str
    instance_id: str


@dataclass(frozen=True, slots=True)
class ReleaseInstance:
    workspace_id: str
    instance_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseWorkspace:
    """Release every placement of a workspace (it was deleted, whatever its instance was doing)."""

    workspace_id: str
    reason: str | None = None


NodeCommand = RegisterNode | PlaceInstance | ReleaseInstance | ReleaseWorkspace


class NodeDecider:
    def initial_state(self) -> NodeState:
        return NodeState()

    def decide(self, state: NodeState, command: NodeCommand) -> Sequence[DomainEvent]:
        if isinstance(command, RegisterNode):
            return self._register(state, command)
        if isinstance(command, PlaceInstance):
            if not state.registered:
                raise NotFound("the node is not registered")
            if state.placement_of(command.workspace_id, command.instance_id) is not None:
                return []  # placed already (a redelivered decision)
            if state.running >= state.capacity:
                raise NoRoom(f"{state.name} runs {state.running} of {state.capacity}")
            return [InstancePlaced(workspace_id=command.workspace_id, instance_id=command.instance_id)]
        if isinstance(command, ReleaseInstance):
            placed = state.placement_of(command.workspace_id, command.instance_id)
            return [] if placed is None else [_released(placed, command.reason)]
        return [_released(p, command.reason) for p in sorted(state.placements, key=lambda p: p.instance_id)
                if p.workspace_id == command.workspace_id]

    @staticmethod
    def _register(state: NodeState, command: RegisterNode) -> Sequence[DomainEvent]:
        for name, value in (("cpus", command.cpus), ("memory_bytes", command.memory_bytes),
                            ("capacity", command.capacity)):
            if value < 1:
                raise InvalidInput(f"{name} must be at least 1, got {value}", field=name)
        if state.name is not None and state.name != command.name:
            raise Conflict(f"the stream belongs to node {state.name!r}, not {command.name!r}")
        unchanged = (state.name, state.cpus, state.memory_bytes, state.capacity) == (
            command.name, command.cpus, command.memory_bytes, command.capacity)
        if unchanged:
            return []  # a restart with the same facts: nothing to tell
        return [NodeRegistered(name=command.name, cpus=command.cpus, memory_bytes=command.memory_bytes,
                               capacity=command.capacity)]

    def evolve(self, state: NodeState, event: DomainEvent) -> NodeState:
        if isinstance(event, NodeRegistered):
            # A lower capacity never evicts what runs: it only stops new placements until enough end.
            return replace(state, name=event.name, cpus=event.cpus, memory_bytes=event.memory_bytes,
                           capacity=event.capacity)
        if isinstance(event, InstancePlaced):
            return replace(state, placements=state.placements | {Placement(event.workspace_id, event.instance_id)})
        if isinstance(event, InstanceReleased):
            return replace(state, placements=state.placements - {Placement(event.workspace_id, event.instance_id)})
        return state


def _released(placed: Placement, reason: str | None) -> InstanceReleased:
    return InstanceReleased(workspace_id=placed.workspace_id, instance_id=placed.instance_id, reason=reason)
