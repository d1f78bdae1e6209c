"""Typed failures of the node agent's container runtime; each name says what failed.

Retrying decides by base class (domain.errors): `Unavailable`/`TemporaryError` are retried,
`PermanentError` parks the event, `Conflict`/`NotFound`/`InvalidInput` are answers, not outages.
A missing image is `infra.images.errors.ImageNotFound`, shared with the image builder.
"""

from __future__ import annotations

from domain.errors import Conflict, InvalidInput, NotFound, PermanentError, TemporaryError


class UnknownWorkspaceClass(InvalidInput):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown workspace class {name!r}; known: {', '.join(known)}", field="workspace_class")
        self.name = name


class SupervisorFileMissing(PermanentError):
    """The supervisor binary, its runtime directory or its config, which are bind-mounted into every workspace,
    is not on the node."""

    def __init__(self, what: str, path: str) -> None:
        kind = "a directory" if what.endswith("directory") else "a file"
        super().__init__(f"the {what} to mount into the workspace is not {kind} on this node: {path}")
        self.path = path


class ContainerExists(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"a container named {name!r} already exists")
        self.name = name


class ContainerNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"container {name!r} does not exist (removed, or never created on this node)")
        self.name = name


class EngineRequestFailed(PermanentError):
    """The engine answered a request with an error nobody here can fix by retrying."""

    def __init__(self, doing: str, explanation: str) -> None:
        super().__init__(f"the Docker engine refused {doing}: {explanation}")
        self.doing = doing
        self.explanation = explanation


class VolumeInUse(Conflict):
    """The workspace volume is still mounted by another container (a newer instance); it stays."""

    def __init__(self, volume: str) -> None:
        super().__init__(f"volume {volume!r} is still used by another container and was kept")
        self.volume = volume


class CloneFailed(PermanentError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cloning {url} failed: {reason}")
        self.url = url
        self.reason = reason


class CommitNotFound(CloneFailed):
    def __init__(self, url: str, commit: str) -> None:
        super().__init__(url, f"commit {commit!r} is not in the repository")
        self.commit = commit


class BackupMissing(PermanentError):
    """The backup the instance should start from is not in the blob store. Never answered by a
    fresh clone instead: that would silently present an old state as the user's work."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the backup {key!r} to restore is not in the blob store")
        self.key = key


class BackupCorrupt(PermanentError):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"the backup {key!r} cannot be restored: {reason}")
        self.key = key


class ContentInitFailed(PermanentError):
    """Filling /workspace failed after the content was obtained (the engine rejected the archive)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"initializing /workspace from {source} failed: {reason}")
        self.source = source
        self.reason = reason


class WorkspaceBackupFailed(TemporaryError):
    """A backup did not complete. Nothing was confirmed and the volume is untouched, so the content
    is safe; a retry backs up again (`backup_failed` in DESIGN.md section 5)."""

    def __init__(self, workspace_id: str, instance_id: str, reason: str) -> None:
        super().__init__(f"backing up /workspace of {workspace_id} (instance {instance_id}) failed: {reason}")
        self.workspace_id = workspace_id
        self.instance_id = instance_id
        self.reason = reason


class ContainerStoppedEarly(PermanentError):
    """The container ended right after it was started (the supervisor exited or could not run)."""

    def __init__(self, name: str, exit_code: int | None, error: str) -> None:
        detail = f"exit code {exit_code}" if exit_code is not None else "no exit code"
        super().__init__(f"container {name!r} stopped right after it started ({detail}){f': {error}' if error else ''}")
        self.name = name
        self.exit_code = exit_code
