"""A snapshot of every Berth container and volume on this node, as the engine sees it now.

Level-triggered convergence starts here: a node agent that restarted, missed events while the
engine was restarting, or had a container removed behind its back compares this snapshot with
what the control plane believes, instead of trusting its memory of past events.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import docker.errors

from node_agent.engine import Engine, engine_errors
from node_agent.naming import LABEL_INSTANCE, LABEL_NODE, LABEL_WORKSPACE, SUPERVISOR_PORT


class ContainerState(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"


@dataclass(frozen=True)
class ObservedInstance:
    workspace_id: str
    instance_id: str
    container_id: str
    name: str
    state: ContainerState
    exit_code: int | None  # once it has run and stopped
    oom_killed: bool
    supervisor_port: int | None  # on 127.0.0.1, while running

    @property
    def running(self) -> bool:
        return self.state is ContainerState.RUNNING


@dataclass(frozen=True)
class ObservedVolume:
    workspace_id: str
    name: str


@dataclass(frozen=True)
class NodeSnapshot:
    instances: tuple[ObservedInstance, ...]
    volumes: tuple[ObservedVolume, ...]

    @property
    def running(self) -> tuple[ObservedInstance, ...]:
        return tuple(instance for instance in self.instances if instance.running)

    def instance(self, workspace_id: str, instance_id: str) -> ObservedInstance | None:
        for observed in self.instances:
            if observed.workspace_id == workspace_id and observed.instance_id == instance_id:
                return observed
        return None

    def has_volume(self, workspace_id: str) -> bool:
        return any(volume.workspace_id == workspace_id for volume in self.volumes)


def take_snapshot(engine: Engine, node: str) -> NodeSnapshot:
    labels = [LABEL_WORKSPACE, f"{LABEL_NODE}={node}"]
    with engine_errors("listing workspace containers"):
        # Instance containers only: a throwaway backup helper has no instance label.
        listed = engine.api.containers(all=True, filters={"label": [*labels, LABEL_INSTANCE]})
        volumes = engine.api.volumes(filters={"label": labels}).get("Volumes") or []
    instances = []
    for summary in listed:
        observed = _observe(engine, str(summary["Id"]))
        if observed is not None:
            instances.append(observed)
    return NodeSnapshot(
        tuple(sorted(instances, key=lambda each: (each.workspace_id, each.instance_id))),
        tuple(sorted((ObservedVolume(volume["Labels"][LABEL_WORKSPACE], volume["Name"]) for volume in volumes),
                     key=lambda each: each.name)),
    )


def _observe(engine: Engine, container_id: str) -> ObservedInstance | None:
    try:
        with engine_errors("inspecting a workspace container"):
            info = engine.inspect_container(container_id)
    except docker.errors.NotFound:  # removed between the listing and now: it no longer exists
        return None
    state: dict[str, Any] = info.get("State") or {}
    labels: dict[str, str] = (info.get("Config") or {}).get("Labels") or {}
    status = ContainerState(state.get("Status", "dead"))
    has_run = bool(state.get("FinishedAt")) and not str(state.get("FinishedAt")).startswith("0001-")
    return ObservedInstance(
        workspace_id=labels.get(LABEL_WORKSPACE, ""),
        instance_id=labels.get(LABEL_INSTANCE, ""),
        container_id=container_id,
        name=str(info.get("Name", "")).lstrip("/"),
        state=status,
        exit_code=int(state.get("ExitCode", 0)) if has_run and status is not ContainerState.RUNNING else None,
        oom_killed=bool(state.get("OOMKilled")),
        supervisor_port=supervisor_port(info) if status is ContainerState.RUNNING else None,
    )


def supervisor_port(info: dict[str, Any]) -> int | None:
    """The host port on 127.0.0.1 that the supervisor's port is published on."""
    ports = ((info.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{SUPERVISOR_PORT}/tcp") or []
    for binding in ports:
        if binding.get("HostIp") == "127.0.0.1" and binding.get("HostPort"):
            return int(binding["HostPort"])
    return None
