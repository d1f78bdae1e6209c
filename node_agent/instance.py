"""What the runtime is asked to run and what it hands back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Literal

from domain.errors import InvalidInput
from node_agent.naming import (
    backup_key,
    check_instance_id,
    check_workspace_id,
    container_name,
    volume_name,
)


@dataclass(frozen=True)
class InstanceRef:
    """One instance of one workspace; everything in the engine is found from these two ids."""

    workspace_id: str
    instance_id: str

    def __post_init__(self) -> None:
        check_workspace_id(self.workspace_id)
        check_instance_id(self.instance_id)

    @property
    def container_name(self) -> str:
        return container_name(self.workspace_id, self.instance_id)

    @property
    def volume_name(self) -> str:
        return volume_name(self.workspace_id)

    @property
    def backup_key(self) -> str:
        return backup_key(self.workspace_id, self.instance_id)


@dataclass(frozen=True)
class InstanceSpec:
    """A container to create. `supervisor_binary` and `supervisor_config` are files on this node,
    mounted read-only: the workspace image is used as it is (no rebuild to add Berth's parts).
    `supervisor_lib` is the runtime directory of a onedir supervisor build (see supervisor_lib_of), mounted
    read-only beside the executable; None for an executable that needs none.
    `ide_dir` is the IDE install on this node (scripts/install-code-server.sh), mounted read-only at
    /.berth/ide; None for a workspace without a browser IDE. `ide_extension` is Berth's own VS Code extension
    (node_agent.ide_extension), mounted read-only beside it for the supervisor to install."""

    ref: InstanceRef
    image: str
    supervisor_binary: Path
    supervisor_config: Path
    workspace_class: str = "default"
    env: Mapping[str, str] = field(default_factory=dict)
    ide_dir: Path | None = None
    ide_extension: Path | None = None
    supervisor_lib: Path | None = None


SUPERVISOR_LIB_NAME = "supervisor-lib"
"""The runtime directory (Python and the bundled modules) of the supervisor's onedir build, beside its executable
(scripts/build-supervisor.sh): where the executable's bootloader looks for it, on the node and in the container."""


def supervisor_lib_of(binary: Path) -> Path | None:
    """The runtime directory beside a onedir supervisor build; None when `binary` stands alone."""
    lib = binary.parent / SUPERVISOR_LIB_NAME
    return lib if lib.is_dir() else None


@dataclass(frozen=True)
class CreatedInstance:
    ref: InstanceRef
    container_id: str
    volume_reused: bool  # the workspace volume existed already (kept after a failed backup, say)
    incarnation: str | None = None  # the volume's, as read when the container was created


@dataclass(frozen=True)
class StartedInstance:
    ref: InstanceRef
    container_id: str
    supervisor_port: int  # on 127.0.0.1: the only way the platform reaches the workspace

    @property
    def supervisor_address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.supervisor_port)


@dataclass(frozen=True)
class GitSource:
    """A repository to clone into `/workspace/<checkout_location>`: `branch` is checked out (else
    the remote's default branch), at `commit` when given (detached when no branch is named)."""

    url: str
    checkout_location: str
    commit: str | None = None
    branch: str | None = None

    def __post_init__(self) -> None:
        location = PurePosixPath(self.checkout_location)
        if (not self.checkout_location or location.is_absolute() or ".." in location.parts
                or str(location) in (".", "") or str(location) != self.checkout_location.rstrip("/")):
            raise InvalidInput(
                f"checkout location {self.checkout_location!r} must be a relative path below /workspace",
                field="checkout_location",
            )


class ContentSource(StrEnum):
    BACKUP = "backup"
    GIT = "git"
    VOLUME = "volume"  # the volume kept from an earlier instance already holds the content
    EMPTY = "empty"

    @property
    def start_mode(self) -> Literal["fresh", "restart"]:
        """New content runs the tasks' `init` (a fresh start); restored or kept content had it (a restart)."""
        return "fresh" if self in (ContentSource.GIT, ContentSource.EMPTY) else "restart"


@dataclass(frozen=True)
class ContentResult:
    source: ContentSource
    bytes: int  # bytes copied into /workspace (uncompressed)
    seconds: float
    commit: str | None = None  # for a clone: the commit checked out


@dataclass(frozen=True)
class BackupResult:
    key: str
    bytes: int  # stored (compressed) size of the confirmed blob
    uncompressed_bytes: int
    seconds: float


@dataclass(frozen=True)
class RemovalResult:
    container_removed: bool
    volume_removed: bool


@dataclass(frozen=True)
class WorkspaceDeletion:
    containers_removed: int
    volume_removed: bool
    backups_deleted: int
