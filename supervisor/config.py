"""The supervisor's config: one JSON file the node agent writes and bind-mounts at /.berth/config.json.

The supervisor ships into workspace containers on its own, so this model is plain dataclasses
(no pydantic, nothing from the control plane). Parsing is strict: an unknown key or a value of the
wrong kind fails with the dotted path of the field (`tasks[1].env.PATH`), because the file is written
by a program and a mistake there is a bug to surface, not to guess around.

The file, with every field (only `workspace_id` and `instance_id` are required):

    {
      "workspace_id": "amber-otter-k3x9qa",
      "instance_id": "4f0c...",
      "port": 22999,                      # the HTTP endpoint, on 0.0.0.0
      "user": "berth",                    # tasks run as this user (the supervisor drops root for them)
      "workspace_dir": "/workspace",      # absolute
      "checkout_location": "repo-name",   # relative to workspace_dir; null = workspace_dir itself
      "workspace_location": "repo-name",  # what the IDE opens, relative to workspace_dir; null = unset
      "env": {"NAME": "value"},           # for every task and lifecycle command; `${containerEnv:VAR}` allowed
      "tasks": [{"name": "dev", "before": "...", "init": "...", "command": "...", "env": {}}],
      "lifecycle": [
        {"hook": "postCreateCommand", "command": {"kind": "shell", "command": "npm ci"}},
        {"hook": "postStartCommand", "command": {"kind": "exec", "argv": ["make", "dev"]}},
        {"hook": "onCreateCommand", "command": {"kind": "parallel", "commands": {
            "a": {"kind": "shell", "command": "..."}, "b": {"kind": "exec", "argv": ["..."]}}}}
      ],
      "start_mode": "fresh",              # "fresh" (new content: init runs) or "restart" (from a backup)
      "content_ready": null,              # absolute path: wait for this marker before touching the workspace
                                          # (supervisor/content.py); its start_mode wins. null = content is there
      "log_dir": "/workspace/.berth/logs",# absolute; task and lifecycle output files
      "token": null,                      # when a string, every request must carry `Authorization: Bearer <token>`
      "ide": {"kind": "code-server", "dir": "/.berth/ide", "port": 23000,  # null = no IDE (SSH only)
              "extensions": ["/workspace/repo/tools/x.vsix", "ms-python.python"],  # installed before it starts
              "builtin_extensions": ["/.berth/ide-extensions/berth.task-terminals.vsix"]},  # Berth's own .vsix
    }
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias, cast

LifecycleHook = Literal[
    "onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand"
]
LIFECYCLE_HOOKS: tuple[LifecycleHook, ...] = (
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
)
"""The devcontainer lifecycle hooks in the order the spec runs them."""

StartMode = Literal["fresh", "restart"]
IdeKind = Literal["code-server"]
DEFAULT_PORT = 22999
DEFAULT_IDE_PORT = 23000
DEFAULT_IDE_DIR = "/.berth/ide"


class ConfigError(ValueError):
    """The config is not valid; `field` is the dotted path of the offending value ("" = the whole file)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class ShellCommand:
    """A command line for `/bin/sh -c` (the devcontainer string form)."""

    command: str


@dataclass(frozen=True)
class ExecCommand:
    """A program and its arguments, run without a shell (the devcontainer array form)."""

    argv: tuple[str, ...]


SingleCommand: TypeAlias = ShellCommand | ExecCommand


@dataclass(frozen=True)
class ParallelCommands:
    """Named commands run concurrently (the devcontainer object form); the hook ends when all did."""

    commands: tuple[tuple[str, SingleCommand], ...]


LifecycleAction: TypeAlias = SingleCommand | ParallelCommands


@dataclass(frozen=True)
class LifecycleCommand:
    hook: LifecycleHook
    command: LifecycleAction


@dataclass(frozen=True)
class TaskConfig:
    """A Gitpod task: `before` on every start, `init` only on fresh content, then `command`."""

    name: str | None = None
    before: str | None = None
    init: str | None = None
    command: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdeConfig:
    """The browser IDE: an install (Node + code-server) mounted at `dir`, served on `port`."""

    kind: IdeKind = "code-server"
    dir: str = DEFAULT_IDE_DIR
    port: int = DEFAULT_IDE_PORT
    extensions: tuple[str, ...] = ()
    """VS Code extensions to install before code-server starts: absolute paths of `.vsix` files, or marketplace
    ids (`publisher.name`); what cannot be installed is reported in the IDE's log (supervisor/ide.py)."""
    builtin_extensions: tuple[str, ...] = ()
    """Berth's own `.vsix` files (absolute paths the node agent mounts read-only, outside the workspace), installed
    in every workspace before `extensions`, replacing whatever version of them is installed."""


@dataclass(frozen=True)
class SupervisorConfig:
    workspace_id: str
    instance_id: str
    port: int = DEFAULT_PORT
    user: str = "berth"
    workspace_dir: str = "/workspace"
    checkout_location: str | None = None
    workspace_location: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    tasks: tuple[TaskConfig, ...] = ()
    lifecycle: tuple[LifecycleCommand, ...] = ()
    """Sorted into spec order, each hook at most once."""
    start_mode: StartMode = "fresh"
    log_dir: str = "/workspace/.berth/logs"
    token: str | None = None
    ide: IdeConfig | None = None
    content_ready: str | None = None
    """The marker the node agent writes once /workspace holds the content (supervisor/content.py); None: it
    does already when the supervisor starts."""

    @property
    def checkout_dir(self) -> str:
        """Where tasks and lifecycle commands run: the repository's checkout inside the workspace."""
        if self.checkout_location is None:
            return self.workspace_dir
        return posixpath.join(self.workspace_dir, self.checkout_location)


def load_config(path: Path) -> SupervisorConfig:
    """Read and validate the config file; ConfigError names the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("", f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError("", f"{path} is not UTF-8: {error}") from error
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError("", f"{path} is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from error
    return parse_config(raw)


def parse_config(raw: object) -> SupervisorConfig:
    """Validate a decoded JSON document into a SupervisorConfig."""
    top = _Obj(raw, "")
    config = SupervisorConfig(
        workspace_id=top.text("workspace_id"),
        instance_id=top.text("instance_id"),
        port=top.port("port", DEFAULT_PORT),
        user=top.text("user", default="berth"),
        workspace_dir=top.absolute_path("workspace_dir", "/workspace"),
        checkout_location=top.relative_path("checkout_location"),
        workspace_location=top.relative_path("workspace_location"),
        env=top.env("env"),
        tasks=tuple(_task(item) for item in top.items("tasks")),
        lifecycle=_lifecycle(top.items("lifecycle")),
        start_mode=cast(StartMode, top.choice("start_mode", ("fresh", "restart"), "fresh")),
        log_dir=top.absolute_path("log_dir", "/workspace/.berth/logs"),
        token=top.optional_text("token"),
        ide=_ide(top.optional_obj("ide")),
        content_ready=top.optional_absolute_path("content_ready"),
    )
    top.reject_unknown()
    if config.ide is not None and config.ide.port == config.port:
        raise ConfigError("ide.port", f"is the supervisor's own port {config.port}")
    return config


def _ide(item: _Obj | None) -> IdeConfig | None:
    if item is None:
        return None
    ide = IdeConfig(
        kind=cast(IdeKind, item.choice("kind", ("code-server",), "code-server")),
        dir=item.absolute_path("dir", DEFAULT_IDE_DIR),
        port=item.port("port", DEFAULT_IDE_PORT),
        extensions=item.optional_strings("extensions"),
        builtin_extensions=item.optional_strings("builtin_extensions"),
    )
    item.reject_unknown()
    for index, extension in enumerate(ide.extensions):
        if not extension.strip():
            raise ConfigError(f"{item.at('extensions')}[{index}]", "is empty")
    for index, path in enumerate(ide.builtin_extensions):
        if not (posixpath.isabs(path) and posixpath.normpath(path) == path and path.lower().endswith(".vsix")):
            raise ConfigError(f"{item.at('builtin_extensions')}[{index}]",
                              f"must be the normalized absolute path of a .vsix file, got {path!r}")
    return ide


def _task(item: _Obj) -> TaskConfig:
    task = TaskConfig(
        name=item.optional_text("name"),
        before=item.optional_text("before"),
        init=item.optional_text("init"),
        command=item.optional_text("command"),
        env=item.env("env"),
    )
    item.reject_unknown()
    return task


def _lifecycle(items: list[_Obj]) -> tuple[LifecycleCommand, ...]:
    seen: dict[str, str] = {}
    commands: list[LifecycleCommand] = []
    for item in items:
        hook = cast(LifecycleHook, item.choice("hook", LIFECYCLE_HOOKS))
        if hook in seen:
            raise ConfigError(item.at("hook"), f"{hook} is already given by {seen[hook]}")
        seen[hook] = item.path
        commands.append(LifecycleCommand(hook=hook, command=_action(item.obj("command"))))
        item.reject_unknown()
    # The spec fixes the order; the file's order carries no meaning.
    return tuple(sorted(commands, key=lambda command: LIFECYCLE_HOOKS.index(command.hook)))


def _action(item: _Obj) -> LifecycleAction:
    kind = item.choice("kind", ("shell", "exec", "parallel"))
    if kind != "parallel":
        return _single(item, kind)
    named = item.obj("commands")
    if not named.names():
        raise ConfigError(named.path, "needs at least one named command")
    commands: list[tuple[str, SingleCommand]] = []
    for name in named.names():
        if not name:
            raise ConfigError(named.path, "a command name is empty")
        entry = named.obj(name)
        commands.append((name, _single(entry, entry.choice("kind", ("shell", "exec")))))
    item.reject_unknown()
    return ParallelCommands(tuple(commands))


def _single(item: _Obj, kind: str) -> SingleCommand:
    command: SingleCommand
    if kind == "shell":
        command = ShellCommand(item.text("command"))
    else:
        argv = item.strings("argv")
        if not argv:
            raise ConfigError(item.at("argv"), "needs at least the program")
        command = ExecCommand(argv)
    item.reject_unknown()
    return command


class _Obj:
    """A JSON object being validated: every accessor records the key it read, so that the keys nobody
    read are the unknown ones, and every error carries the path of the value."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, dict):
            raise ConfigError(path, f"must be an object, got {_kind(raw)}")
        self.raw: dict[str, object] = raw
        self.path = path
        self._read: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def names(self) -> list[str]:
        self._read.update(self.raw)
        return list(self.raw)

    def _get(self, key: str) -> object:
        self._read.add(key)
        return self.raw.get(key)

    def reject_unknown(self) -> None:
        unknown = sorted(set(self.raw) - self._read)
        if unknown:
            raise ConfigError(self.at(unknown[0]), "unknown field")

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key)
        if value is None:
            if default is not None:
                return default
            raise ConfigError(self.at(key), "is required")
        if not isinstance(value, str) or not value:
            raise ConfigError(self.at(key), f"must be a non-empty string, got {_kind(value)}")
        if "\0" in value:
            raise ConfigError(self.at(key), "contains a NUL character")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self._get(key) is None else self.text(key)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise ConfigError(self.at(key), f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def port(self, key: str, default: int) -> int:
        value = self._get(key)
        if value is None:
            return default
        # bool is an int in Python but never a port in JSON.
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
            raise ConfigError(self.at(key), f"must be a port number 1-65535, got {value!r}")
        return value

    def absolute_path(self, key: str, default: str) -> str:
        value = self.text(key, default)
        if not posixpath.isabs(value) or posixpath.normpath(value) != value or value.startswith("//"):
            raise ConfigError(self.at(key), f"must be a normalized absolute path, got {value!r}")
        return value

    def optional_absolute_path(self, key: str) -> str | None:
        return None if self._get(key) is None else self.absolute_path(key, "")

    def relative_path(self, key: str) -> str | None:
        value = self.optional_text(key)
        if value is None or value == ".":
            return None
        if any(part in ("", ".", "..") for part in value.split("/")):
            raise ConfigError(self.at(key), f"must be a normalized relative path inside the workspace, got {value!r}")
        return value

    def env(self, key: str) -> dict[str, str]:
        value = self._get(key)
        if value is None:
            return {}
        env = _Obj(value, self.at(key))
        result: dict[str, str] = {}
        for name in env.names():
            if not name or "=" in name or "\0" in name:
                raise ConfigError(env.at(name), "is not a valid environment variable name")
            item = env.raw[name]
            if not isinstance(item, str):
                raise ConfigError(env.at(name), f"must be a string, got {_kind(item)}")
            if "\0" in item:
                raise ConfigError(env.at(name), "contains a NUL character")
            result[name] = item
        return result

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list):
            raise ConfigError(self.at(key), f"must be a list of strings, got {_kind(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or "\0" in item:
                raise ConfigError(f"{self.at(key)}[{index}]", f"must be a string without NUL, got {_kind(item)}")
        return tuple(value)

    def optional_strings(self, key: str) -> tuple[str, ...]:
        """A list of strings; missing or null is an empty one."""
        return () if self._get(key) is None else self.strings(key)

    def obj(self, key: str) -> _Obj:
        value = self._get(key)
        if value is None:
            raise ConfigError(self.at(key), "is required")
        return _Obj(value, self.at(key))

    def optional_obj(self, key: str) -> _Obj | None:
        value = self._get(key)
        return None if value is None else _Obj(value, self.at(key))

    def items(self, key: str) -> list[_Obj]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ConfigError(self.at(key), f"must be a list, got {_kind(value)}")
        return [_Obj(item, f"{self.at(key)}[{index}]") for index, item in enumerate(value)]


def _kind(value: object) -> str:
    """A JSON value's kind in words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
