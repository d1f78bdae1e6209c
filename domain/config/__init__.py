"""Workspace config: `.gitpod.yml` or devcontainer.json, read into one normalized model.

Pure: callers pass the files' text in (see `CONFIG_FILES`) and get a `WorkspaceConfig` back, or an
`InvalidConfig` naming the file, line and field.
"""

from domain.config.devcontainer import DEVCONTAINER_FILES, parse_devcontainer_json
from domain.config.gitpod import GITPOD_FILE, parse_gitpod_yml
from domain.config.load import CONFIG_FILES, load_workspace_config
from domain.config.model import (
    DEFAULT_IMAGE,
    LIFECYCLE_HOOKS,
    Command,
    ConfigWarning,
    DockerfileBuild,
    ExecCommand,
    ImageRef,
    ImageSpec,
    LifecycleCommand,
    LifecycleHook,
    Mount,
    Port,
    ShellCommand,
    Task,
    WorkspaceConfig,
)
from domain.config.substitution import substitute

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_IMAGE",
    "DEVCONTAINER_FILES",
    "GITPOD_FILE",
    "LIFECYCLE_HOOKS",
    "Command",
    "ConfigWarning",
    "DockerfileBuild",
    "ExecCommand",
    "ImageRef",
    "ImageSpec",
    "LifecycleCommand",
    "LifecycleHook",
    "Mount",
    "Port",
    "ShellCommand",
    "Task",
    "WorkspaceConfig",
    "load_workspace_config",
    "parse_devcontainer_json",
    "parse_gitpod_yml",
    "substitute",
]
