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
    ide: str = "vscode"
    """What the workspace opens in: `vscode` (browser VS Code) or `none` (SSH only). Since schema v3."""


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


class PinChanged(DomainEvent):
    """The owner pinned the workspace (kept however long it stays stopped) or unpinned it (deleted once it has
    been stopped for the retention period)."""

    TYPE: ClassVar[str] = "workspace.pin_changed"
    pinned: bool


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


class ContainerCreated(DomainEvent):
    """The node created the instance's container; the platform reaches its supervisor on 127.0.0.1:port."""

    TYPE: ClassVar[str] = "workspace.container_created"
    instance_id: str
    node: str
    container_id: str
    supervisor_port: int


class ContentInitialized(DomainEvent):
    """/workspace was filled: from a backup, a git clone, or a volume kept after a failed backup."""

    TYPE: ClassVar[str] = "workspace.content_initialized"
    instance_id: str
    source: str
    bytes: int
    seconds: float


class PortsChanged(DomainEvent):
    """The ports listening inside the workspace changed (sampled by the node agent)."""

    TYPE: ClassVar[str] = "workspace.ports_changed"
    instance_id: str
    ports: list[int]


class PortVisibilityChanged(DomainEvent):
    TYPE: ClassVar[str] = "workspace.port_visibility_changed"
    port: int
    visibility: str


class TaskChanged(DomainEvent):
    """A task of the workspace moved to another phase (before, init, command, done, failed)."""

    TYPE: ClassVar[str] = "workspace.task_changed"
    instance_id: str
    index: int
    name: str | None = None
    phase: str
    exit_code: int | None = None


class ActivityRecorded(DomainEvent):
    """Someone used the workspace (proxied traffic, a terminal, SSH); sampled at most once a minute."""

    TYPE: ClassVar[str] = "workspace.activity_recorded"
    instance_id: str
    source: str


class BackupCompleted(DomainEvent):
    """/workspace was saved to the blob store and the write confirmed: the volume may go."""

    TYPE: ClassVar[str] = "workspace.backup_completed"
    instance_id: str
    blob: str
    bytes: int
    seconds: float


class BackupFailed(DomainEvent):
    """The backup did not complete: the volume is kept, nothing is deleted."""

    TYPE: ClassVar[str] = "workspace.backup_failed"
    instance_id: str
    reason: str
