"""What the engine tells about workspace containers, as typed runtime events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from node_agent.naming import LABEL_INSTANCE, LABEL_WORKSPACE

# The engine actions the node agent follows (docker `events --filter event=...`).
FOLLOWED_ACTIONS = ("start", "die", "oom", "destroy")


@dataclass(frozen=True, kw_only=True)
class RuntimeEvent:
    workspace_id: str
    instance_id: str
    container_id: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ContainerStarted(RuntimeEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ContainerDied(RuntimeEvent):
    """The container's main process ended; after an OOM kill this follows ContainerOomKilled."""

    exit_code: int


@dataclass(frozen=True, kw_only=True)
class ContainerOomKilled(RuntimeEvent):
    """The kernel killed a process of the container for exceeding the class's memory limit (the
    container itself may live on when the victim was not its main process)."""


@dataclass(frozen=True, kw_only=True)
class ContainerRemoved(RuntimeEvent):
    pass


def parse_event(raw: Mapping[str, Any]) -> RuntimeEvent | None:
    """The runtime event for one decoded engine event; None for anything else (other actions,
    containers without Berth labels)."""
    if raw.get("Type") != "container":
        return None
    actor = raw.get("Actor") or {}
    attributes: Mapping[str, str] = actor.get("Attributes") or {}
    workspace_id = attributes.get(LABEL_WORKSPACE)
    instance_id = attributes.get(LABEL_INSTANCE)
    container_id = actor.get("ID") or raw.get("id")
    if not workspace_id or not instance_id or not container_id:
        return None
    nanos = raw.get("timeNano")
    at = (datetime.fromtimestamp(nanos / 1e9, UTC) if isinstance(nanos, int)
          else datetime.fromtimestamp(float(raw.get("time") or 0), UTC))
    common: dict[str, Any] = {
        "workspace_id": workspace_id,
        "instance_id": instance_id,
        "container_id": str(container_id),
        "at": at,
    }
    match raw.get("Action") or raw.get("status"):
        case "start":
            return ContainerStarted(**common)
        case "die":
            return ContainerDied(**common, exit_code=_int(attributes.get("exitCode")))
        case "oom":
            return ContainerOomKilled(**common)
        case "destroy":
            return ContainerRemoved(**common)
        case _:
            return None


def _int(value: str | None) -> int:
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1
