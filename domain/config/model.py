"""The normalized workspace config: what Berth runs, whichever file described it.

`.gitpod.yml` and `devcontainer.json` both parse into `WorkspaceConfig`, so the builder, the
supervisor and the proxy never look at a file format. Fields that only one format can express are
simply empty when the other one was used (tasks come from Gitpod, lifecycle commands from
devcontainer.json). Values are frozen: a config is read once per start and then only passed around.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.config.paths import is_normalized_relative

DEFAULT_IMAGE = "berth/base:latest"
"""The image of a workspace whose repository has no config (the local base image, see DESIGN §7)."""

OpenMode = Literal["tab-after", "tab-before", "split-right", "split-left"]
Visibility = Literal["private", "public"]
OnOpen = Literal["notify", "open-browser", "open-preview", "ignore", "ignore-completely"]
Protocol = Literal["http", "https"]
LifecycleHook = Literal[
    "onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand"
]

OPEN_MODES: tuple[OpenMode, ...] = get_args(OpenMode)
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
ON_OPEN_ACTIONS: tuple[OnOpen, ...] = get_args(OnOpen)
PROTOCOLS: tuple[Protocol, ...] = get_args(Protocol)
LIFECYCLE_HOOKS: tuple[LifecycleHook, ...] = get_args(LifecycleHook)
"""The devcontainer lifecycle commands in the order the spec runs them."""


def _check_relative(path: str) -> str:
    if not is_normalized_relative(path):
        raise ValueError(f"must be a normalized relative path, got {path!r}")
    return path


def _check_env(env: dict[str, str]) -> dict[str, str]:
    for name, value in env.items():
        if not name or "=" in name or "\0" in name:
            raise ValueError(f"invalid environment variable name {name!r}")
        if "\0" in value:
            raise ValueError(f"the value of {name} contains a NUL character")
    return env


def _check_image_name(name: str) -> str:
    if not name or any(char.isspace() for char in name):
        raise ValueError(f"an image name is not empty and has no spaces, got {name!r}")
    return name


RelativePath = Annotated[str, AfterValidator(_check_relative)]
"""A path relative to the repository root (or to `/workspace`), normalized; `.` is the root itself."""
EnvMap = Annotated[dict[str, str], AfterValidator(_check_env)]
ImageName = Annotated[str, AfterValidator(_check_image_name)]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ImageRef(_Value):
    """Run a ready image, e.g. `gitpod/workspace-full` or `mcr.microsoft.com/devcontainers/python:3`."""

    kind: Literal["image"] = "image"
    name: ImageName


class DockerfileBuild(_Value):
    """Build the workspace image from a Dockerfile of the repository."""

    kind: Literal["dockerfile"] = "dockerfile"
    dockerfile: RelativePath
    context: RelativePath = "."
    args: dict[str, str] = {}
    target: str | None = None


ImageSpec = Annotated[ImageRef | DockerfileBuild, Field(discriminator="kind")]


class Task(_Value):
    """A Gitpod task: `before` on every start, `init` once per fresh content (and in prebuilds),
    then `command`, all in one terminal named `name`."""

    name: str | None = None
    before: str | None = None
    init: str | None = None
    command: str | None = None
    env: EnvMap = {}
    open_mode: OpenMode | None = None


class Port(_Value):
    """How to expose a port (or an inclusive range `port`..`end_port`) when something listens on it."""

    port: int = Field(ge=1, le=65535)
    end_port: int | None = Field(default=None, ge=1, le=65535)
    host: str | None = None
    """devcontainer `"db:5432"`: the port belongs to another host (a compose service); None = this one."""
    visibility: Visibility = "private"
    on_open: OnOpen = "notify"
    name: str | None = None
    description: str | None = None
    protocol: Protocol = "http"

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Port:
        if self.end_port is not None and self.end_port <= self.port:
            raise ValueError("end_port must be greater than port (a single port has no end_port)")
        return self

    def covers(self, port: int) -> bool:
        return self.port <= port <= (self.end_port or self.port)


class ShellCommand(_Value):
    """A command line run by a shell (`/bin/sh -c`), the devcontainer string form."""

    kind: Literal["shell"] = "shell"
    script: str = Field(min_length=1)


class ExecCommand(_Value):
    """A program and its arguments run without a shell, the devcontainer array form."""

    kind: Literal["exec"] = "exec"
    argv: tuple[str, ...] = Field(min_length=1)


Command = Annotated[ShellCommand | ExecCommand, Field(discriminator="kind")]


class LifecycleCommand(_Value):
    """One devcontainer lifecycle hook: a single command, or named commands run in parallel
    (the object form). Exactly one of `command` and `parallel` is set."""

    hook: LifecycleHook
    command: Command | None = None
    parallel: dict[str, Command] = {}

    @model_validator(mode="after")
    def _one_form(self) -> LifecycleCommand:
        if (self.command is None) == (not self.parallel):
            raise ValueError("a lifecycle command has either `command` or `parallel` commands")
        return self


class Mount(_Value):
    """A devcontainer mount, recorded so the user can be told it was not made (not applied yet)."""

    type: str
    source: str | None = None
    target: str
    options: dict[str, str] = {}
    """Other `key=value` options of the string form; a bare flag like `readonly` maps to ""."""


class ConfigWarning(_Value):
    """Something the user should know but that does not stop the workspace (shown with the start)."""

    file: str
    line: int | None = None
    field: str | None = None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class WorkspaceConfig(_Value):
    image: ImageSpec
    tasks: tuple[Task, ...] = ()
    ports: tuple[Port, ...] = ()
    env: EnvMap = {}
    """Variables for every process of the workspace. From devcontainer.json, values may still hold
    `${containerEnv:VAR}` when the container's environment was not known while parsing; the
    supervisor resolves those inside the container with `substitute`."""
    checkout_location: RelativePath | None = None
    """Where the repository is cloned, relative to `/workspace` (None: the repository's name)."""
    workspace_location: RelativePath | None = None
    """What the IDE opens, relative to `/workspace` (a folder or a `.code-workspace` file)."""
    vscode_extensions: tuple[str, ...] = ()
    git_config: dict[str, str] = {}
    remote_user: str | None = None
    container_user: str | None = None
    mounts: tuple[Mount, ...] = ()
    lifecycle: tuple[LifecycleCommand, ...] = ()
    """devcontainer lifecycle commands, in spec order, each hook at most once."""
    warnings: tuple[ConfigWarning, ...] = ()
    sources: tuple[str, ...] = ()
    """The file(s) this config was read from; empty when the repository has none (defaults)."""
    ignored_sources: tuple[str, ...] = ()
    """Config files present in the repository but not used (see `load_workspace_config`)."""

    @model_validator(mode="after")
    def _lifecycle_in_spec_order(self) -> WorkspaceConfig:
        positions = [LIFECYCLE_HOOKS.index(step.hook) for step in self.lifecycle]
        if positions != sorted(set(positions)):
            raise ValueError("lifecycle commands must be in spec order, each hook at most once")
        return self

    def lifecycle_command(self, hook: LifecycleHook) -> LifecycleCommand | None:
        return next((step for step in self.lifecycle if step.hook == hook), None)
