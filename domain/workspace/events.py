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


class ContextResolved(DomainEvent):
    """The context URL was resolved against the real remote to one commit."""

    TYPE: ClassVar[str] = "workspace.context_resolved"
    instance_id: str
    clone_url: str
    ref: str | None = None
    commit: str
    path: str | None = None


class ConfigResolved(DomainEvent):
    """The workspace config read from the resolved commit, normalized (`config` is the model as JSON)."""

    TYPE: ClassVar[str] = "workspace.config_resolved"
    instance_id: str
    config: str
    sources: list[str]
    warnings: list[str]


class ImageRequested(DomainEvent):
    """The instance needs this image spec (JSON: an image name, or a Dockerfile build in the repo)."""

    TYPE: ClassVar[str] = "workspace.image_requested"
    instance_id: str
    spec: str


class ImageReady(DomainEvent):
    """The image the instance runs from exists locally."""

    TYPE: ClassVar[str] = "workspace.image_ready"
    instance_id: str
    image: str
    cache_key: str
    cache_hit: bool
