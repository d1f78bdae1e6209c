"""Workspaces put into a given state with real events, as the workers would append them."""

from __future__ import annotations

from domain.workspace.events import (
    ContainerCreated,
    InstancePhaseChanged,
    InstanceRequested,
    PortsChanged,
    WorkspaceCreated,
)
from infra.store.contract import EventStore
from tests.factories import new_event


async def running_workspace(store: EventStore, workspace_id: str, owner: str, supervisor_port: int,
                            ports: list[int], instance_id: str = "i-1") -> None:
    """Created, started and running, with its supervisor published on 127.0.0.1:supervisor_port."""
    events = [WorkspaceCreated(workspace_id=workspace_id, owner=owner, context_url="https://github.com/o/r"),
              InstanceRequested(instance_id=instance_id)]
    for phase in ("preparing", "scheduled", "creating"):
        events.append(InstancePhaseChanged(instance_id=instance_id, phase=phase))
    events.append(ContainerCreated(instance_id=instance_id, node="local", container_id="c1",
                                   supervisor_port=supervisor_port))
    for phase in ("initializing", "running"):
        events.append(InstancePhaseChanged(instance_id=instance_id, phase=phase))
    events.append(PortsChanged(instance_id=instance_id, ports=ports))
    await store.append(f"workspace-{workspace_id}", [new_event(e, actor="node-agent") for e in events], 0)
