"""Events of the workspace stream (`workspace-<id>`); each mirrors `schemas/avro/<TYPE>/`."""

from __future__ import annotations

from typing import ClassVar

from domain.events import DomainEvent


class WorkspaceCreated(DomainEvent):
    TYPE: ClassVar[str] = "workspace.created"
    workspace_id: str
    owner: str
    context_url: str
    workspace_class: str = "default"


class InstanceRequested(DomainEvent):
    TYPE: ClassVar[str] = "workspace.instance_requested"
    instance_id: str


class InstancePhaseChanged(DomainEvent):
    TYPE: ClassVar[str] = "workspace.instance_phase_changed"
    instance_id: str
    phase: str
    reason: str | None = None


class WorkspaceDeleted(DomainEvent):
    TYPE: ClassVar[str] = "workspace.deleted"
    reason: str | None = None
