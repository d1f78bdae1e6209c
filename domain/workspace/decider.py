"""The workspace decider: commands in, events out; the state machine rejects impossible moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from domain.events import DomainEvent
from domain.workspace.events import (
    InstancePhaseChanged,
    InstanceRequested,
    PinChanged,
    WorkspaceCreated,
    WorkspaceDeleted,
)
from domain.workspace.ids import is_workspace_id
from domain.workspace.phases import Phase, allowed_next, is_active

IDES = ("vscode", "none")
"""What a workspace opens in: browser VS Code (code-server), or no IDE at all (SSH only)."""
DEFAULT_IDE = "vscode"


def check_ide(value: object, field: str = "ide") -> str:
    if value not in IDES:
        raise InvalidInput(f"ide must be one of {', '.join(IDES)}, got {value!r}", field=field)
    return str(value)


@dataclass(frozen=True, slots=True)
class WorkspaceState:
    workspace_id: str | None = None
    owner: str | None = None
    context_url: str | None = None
    workspace_class: str = "default"
    ide: str = DEFAULT_IDE
    instance_id: str | None = None
    phase: Phase | None = None
    deleted: bool = False
    pinned: bool = False

    @property
    def exists(self) -> bool:
        return self.workspace_id is not None and not self.deleted


@dataclass(frozen=True, slots=True)
class CreateWorkspace:
    workspace_id: str
    owner: str
    context_url: str
    workspace_class: str = "default"
    ide: str = DEFAULT_IDE


@dataclass(frozen=True, slots=True)
class StartInstance:
    instance_id: str


@dataclass(frozen=True, slots=True)
class AdvanceInstance:
    instance_id: str
    phase: Phase
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteWorkspace:
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SetPinned:
    """Pin (keep however long it stays stopped) or unpin; asking for what already is changes nothing."""

    pinned: bool


WorkspaceCommand = CreateWorkspace | StartInstance | AdvanceInstance | DeleteWorkspace | SetPinned


class WorkspaceDecider:
    def initial_state(self) -> WorkspaceState:
        return WorkspaceState()

    def decide(self, state: WorkspaceState, command: WorkspaceCommand) -> Sequence[DomainEvent]:
        if isinstance(command, CreateWorkspace):
            if state.workspace_id is not None:
                raise Conflict(f"workspace {state.workspace_id!r} already exists")
            if not is_workspace_id(command.workspace_id):
                raise InvalidInput(f"{command.workspace_id!r} is not a DNS label", field="workspace_id")
            check_ide(command.ide)
            return [
                WorkspaceCreated(
                    workspace_id=command.workspace_id,
                    owner=command.owner,
                    context_url=command.context_url,
                    workspace_class=command.workspace_class,
                    ide=command.ide,
                )
            ]
        if not state.exists:
            raise NotFound("workspace does not exist")
        if isinstance(command, StartInstance):
            if is_active(state.phase):
                raise Conflict(f"workspace already has an active instance {state.instance_id!r}")
            return [InstanceRequested(instance_id=command.instance_id)]
        if isinstance(command, AdvanceInstance):
            if command.instance_id != state.instance_id:
                raise Conflict(f"instance {command.instance_id!r} is not the workspace's current instance")
            assert state.phase is not None  # an instance id always comes with a phase
            if command.phase not in allowed_next(state.phase):
                raise IllegalTransition(f"an instance cannot go from {state.phase} to {command.phase}")
            return [InstancePhaseChanged(instance_id=command.instance_id, phase=command.phase,
                                         reason=command.reason)]
        if isinstance(command, SetPinned):
            return [] if command.pinned == state.pinned else [PinChanged(pinned=command.pinned)]
        return [WorkspaceDeleted(reason=command.reason)]

    def evolve(self, state: WorkspaceState, event: DomainEvent) -> WorkspaceState:
        if isinstance(event, WorkspaceCreated):
            return replace(state, workspace_id=event.workspace_id, owner=event.owner,
                           context_url=event.context_url, workspace_class=event.workspace_class,
                           ide=event.ide)
        if isinstance(event, InstanceRequested):
            return replace(state, instance_id=event.instance_id, phase=Phase.PENDING)
        if isinstance(event, InstancePhaseChanged):
            return replace(state, phase=Phase(event.phase))
        if isinstance(event, PinChanged):
            return replace(state, pinned=event.pinned)
        if isinstance(event, WorkspaceDeleted):
            return replace(state, deleted=True)
        return state
