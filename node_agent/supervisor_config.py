"""The supervisor's config file for one instance, from the workspace's normalized config.

The supervisor ships into containers without the control plane's code, so this module speaks its JSON
format (documented in supervisor/config.py) rather than sharing a model with it.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path
from typing import Any, Literal

from domain.config import ExecCommand, LifecycleCommand, ShellCommand, WorkspaceConfig

SUPERVISOR_PORT = 22999
WORKSPACE_DIR = "/workspace"
IDE_DIR = "/.berth/ide"  # where container_config mounts the node's IDE install
IDE_EXTENSION_PATH = "/.berth/ide-extensions/berth.task-terminals.vsix"
"""Where container_config mounts Berth's own VS Code extension (node_agent.ide_extension)."""


def repository_name(clone_url: str) -> str:
    """`https://host/acme/widgets.git` -> `widgets`: where a repository is cloned by default (like Gitpod)."""
    name = posixpath.basename(clone_url.rstrip("/")).removesuffix(".git")
    return name or "repository"


def _single(command: ShellCommand | ExecCommand) -> dict[str, Any]:
    if isinstance(command, ShellCommand):
        return {"kind": "shell", "command": command.script}
    return {"kind": "exec", "argv": list(command.argv)}


def _lifecycle(step: LifecycleCommand) -> dict[str, Any]:
    if step.command is not None:
        return {"hook": step.hook, "command": _single(step.command)}
    return {"hook": step.hook,
            "command": {"kind": "parallel", "commands": {name: _single(c) for name, c in step.parallel.items()}}}


def extension_entries(extensions: tuple[str, ...] | list[str], checkout_dir: str) -> list[str]:
    """The config's VS Code extensions as the supervisor installs them: marketplace ids as they are, and
    `.vsix` files in the repository (paths relative to the repository, like Gitpod's) as absolute paths.
    A `.vsix` path outside the repository, or a URL, is passed as written: the supervisor reports it as not
    installed, in the workspace's IDE log, rather than the node agent dropping it silently."""
    entries: list[str] = []
    for extension in extensions:
        if extension.lower().endswith(".vsix") and "://" not in extension and not extension.startswith("/"):
            resolved = posixpath.normpath(posixpath.join(checkout_dir, extension))
            if resolved.startswith(checkout_dir.rstrip("/") + "/"):
                entries.append(resolved)
                continue
        entries.append(extension)
    return entries


def ide_section(ide_port: int | None, extensions: list[str] | None = None,
                ide_extension: bool = False) -> dict[str, Any] | None:
    """code-server on `ide_port` (the port the gateway's IDE host proxies to), with the extensions to install
    before it starts (see extension_entries), after Berth's own when `ide_extension` (mounted at
    IDE_EXTENSION_PATH); None = no IDE (SSH only)."""
    if ide_port is None:
        return None
    return {"kind": "code-server", "dir": IDE_DIR, "port": ide_port, "extensions": list(extensions or []),
            "builtin_extensions": [IDE_EXTENSION_PATH] if ide_extension else []}


def supervisor_config(workspace_id: str, instance_id: str, config: WorkspaceConfig, clone_url: str,
                      start_mode: Literal["fresh", "restart"], ide_port: int | None = None,
                      ide_extension: bool = False, content_ready: str | None = None) -> dict[str, Any]:
    """`ide_extension`: Berth's extension is mounted at IDE_EXTENSION_PATH (the supervisor installs it).
    `content_ready`: the content marker the supervisor waits for before it runs anything (the container starts
    while /workspace is filled); its start mode then replaces `start_mode`."""
    checkout = config.checkout_location or repository_name(clone_url)
    return {
        "workspace_id": workspace_id,
        "instance_id": instance_id,
        "port": SUPERVISOR_PORT,
        "user": config.remote_user or config.container_user or "berth",
        "workspace_dir": WORKSPACE_DIR,
        "checkout_location": checkout,
        "workspace_location": config.workspace_location or checkout,
        "env": dict(config.env),
        "tasks": [{"name": t.name, "before": t.before, "init": t.init, "command": t.command, "env": dict(t.env)}
                  for t in config.tasks],
        "lifecycle": [_lifecycle(step) for step in config.lifecycle],
        "start_mode": start_mode,
        "log_dir": f"{WORKSPACE_DIR}/.berth/logs",
        "ide": ide_section(ide_port, extension_entries(config.vscode_extensions,
                                                       posixpath.join(WORKSPACE_DIR, checkout)),
                           ide_extension),
        "content_ready": content_ready,
    }


def write_config(path: Path, document: dict[str, Any]) -> Path:
    """Written whole or not at all: the container bind-mounts this path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2))
    os.replace(temporary, path)
    return path
