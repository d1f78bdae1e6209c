"""`.gitpod.yml` → `WorkspaceConfig`, following Gitpod's schema (gitpod-schema.json).

Strict where Gitpod is strict (types, enums, a port is a number or a range), lenient where Gitpod
is lenient: YAML numbers and booleans are read as written into string fields (`PORT: 3000`), and
keys Gitpod knows but Berth does not use are warnings, so a repository set up for Gitpod opens
here unchanged. One extension: a top-level `env` for variables of every task.
"""

from __future__ import annotations

import posixpath
import re

from domain.config.fields import (
    Field,
    Warnings,
    as_str,
    env_map,
    one_of,
    opt_list,
    opt_str,
    read_object,
    str_map,
    validated,
)
from domain.config.model import (
    DEFAULT_IMAGE,
    ON_OPEN_ACTIONS,
    OPEN_MODES,
    PROTOCOLS,
    VISIBILITIES,
    DockerfileBuild,
    ImageRef,
    ImageSpec,
    OnOpen,
    OpenMode,
    Port,
    Protocol,
    Task,
    Visibility,
    WorkspaceConfig,
)
from domain.config.paths import join_relative, workspace_relative
from domain.config.tree import MappingNode, ScalarNode
from domain.config.yaml_tree import parse_yaml

GITPOD_FILE = ".gitpod.yml"

_TOP_LEVEL = (
    "image",
    "tasks",
    "ports",
    "env",
    "checkoutLocation",
    "workspaceLocation",
    "vscode",
    "gitConfig",
)
_MULTI_REPO = "multi-repository workspaces are not supported yet; ignored"
_TOP_LEVEL_IGNORED = {
    "github": "prebuilds are configured in Berth, not in .gitpod.yml; `github` is ignored",
    "jetbrains": "JetBrains IDEs are not supported yet; `jetbrains` is ignored",
    "additionalRepositories": _MULTI_REPO,
    "subRepositories": _MULTI_REPO,
    "mainConfiguration": _MULTI_REPO,
    "mainRepository": _MULTI_REPO,
    "coreDump": "core dump settings are not supported; `coreDump` is ignored",
}
_TOP_LEVEL_SILENT = ("experimentalNetwork",)  # deprecated in Gitpod and a no-op there too
_TASK_KEYS = ("name", "before", "init", "command", "env", "openMode")
_TASK_IGNORED = {
    "prebuild": "`prebuild` is deprecated in Gitpod and not supported; move the command to `init`",
    "openIn": "`openIn` is deprecated in Gitpod and ignored; use `openMode`",
}
_PORT_KEYS = ("port", "onOpen", "visibility", "name", "description", "protocol")
_PORT_RANGE = re.compile(r"([0-9]{1,5})(?:[-:]([0-9]{1,5}))?")


def parse_gitpod_yml(text: str, *, file: str = GITPOD_FILE, default_image: str = DEFAULT_IMAGE) -> WorkspaceConfig:
    """Parse a `.gitpod.yml`. Raises InvalidConfig naming the file, line and field of an error."""
    return validated(file, lambda: _read(text, file, default_image))


def _read(text: str, file: str, default_image: str) -> WorkspaceConfig:
    root = parse_yaml(text, file=file)
    warnings = Warnings()
    if root is None:  # an empty file is a valid config that sets nothing
        return WorkspaceConfig(image=ImageRef(name=default_image), sources=(file,))
    top = read_object(
        Field(file, "", root),
        warnings,
        known=_TOP_LEVEL,
        ignored=_TOP_LEVEL_IGNORED,
        silent=_TOP_LEVEL_SILENT,
    )
    image = _image(top["image"], warnings) if "image" in top and not top["image"].is_null else None
    tasks = tuple(_task(item, warnings) for item in opt_list(top.get("tasks")))
    ports = tuple(_port(item, warnings) for item in opt_list(top.get("ports")))
    env = env_map(top.get("env"), warnings)
    checkout = _location(top.get("checkoutLocation"))
    location = _location(top.get("workspaceLocation"))
    extensions = _vscode_extensions(top.get("vscode"), warnings)
    git_config = str_map(top.get("gitConfig"), warnings)
    return WorkspaceConfig(
        image=image or ImageRef(name=default_image),
        tasks=tasks,
        ports=ports,
        env=env,
        checkout_location=checkout,
        workspace_location=location,
        vscode_extensions=extensions,
        git_config=git_config,
        warnings=warnings.in_line_order(),
        sources=(file,),
    )


def _image(f: Field, warnings: Warnings) -> ImageSpec:
    if isinstance(f.node, ScalarNode):
        name = as_str(f)
        if not name or any(char.isspace() for char in name):
            raise f.error(f"must be an image name like `gitpod/workspace-full`, got {name!r}")
        return ImageRef(name=name)
    if not isinstance(f.node, MappingNode):
        raise f.wrong_type("an image name or a mapping with `file` (and `context`)")
    fields = read_object(f, warnings, known=("file", "context"))
    if "file" not in fields:
        raise f.error("needs `file`, the path of a Dockerfile in the repository")
    dockerfile = _repo_path(fields["file"])
    context_field = fields.get("context")
    # Without a context Gitpod builds in the Dockerfile's own folder.
    context = posixpath.dirname(dockerfile) or "."
    if context_field is not None and not context_field.is_null:
        context = _repo_path(context_field)
    return DockerfileBuild(dockerfile=dockerfile, context=context)


def _repo_path(f: Field) -> str:
    try:
        return join_relative(".", as_str(f))
    except ValueError as reason:
        raise f.error(f"{reason} (paths are relative to the repository root)") from None


def _task(f: Field, warnings: Warnings) -> Task:
    fields = read_object(f, warnings, known=_TASK_KEYS, ignored=_TASK_IGNORED)
    open_mode_field = fields.get("openMode")
    open_mode: OpenMode | None = None
    if open_mode_field is not None and not open_mode_field.is_null:
        open_mode = one_of(open_mode_field, OPEN_MODES)
    return Task(
        name=opt_str(fields.get("name")),
        before=opt_str(fields.get("before")),
        init=opt_str(fields.get("init")),
        command=opt_str(fields.get("command")),
        env=env_map(fields.get("env"), warnings),
        open_mode=open_mode,
    )


def _port(f: Field, warnings: Warnings) -> Port:
    fields = read_object(f, warnings, known=_PORT_KEYS)
    if "port" not in fields:
        raise Field(f.file, f"{f.path}.port", f.node).error("is required: a port number or a range like 3000-3010")
    first, last = _port_spec(fields["port"])
    visibility: Visibility = "private"
    on_open: OnOpen = "notify"
    protocol: Protocol = "http"
    if (value := fields.get("visibility")) is not None and not value.is_null:
        visibility = one_of(value, VISIBILITIES)
    if (value := fields.get("onOpen")) is not None and not value.is_null:
        on_open = one_of(value, ON_OPEN_ACTIONS)
    if (value := fields.get("protocol")) is not None and not value.is_null:
        protocol = one_of(value, PROTOCOLS)
    return Port(
        port=first,
        end_port=last,
        visibility=visibility,
        on_open=on_open,
        name=opt_str(fields.get("name")),
        description=opt_str(fields.get("description")),
        protocol=protocol,
    )


def _port_spec(f: Field) -> tuple[int, int | None]:
    """`3000` → (3000, None); `"3000-3010"` (or Gitpod's `3000:3010`) → (3000, 3010)."""
    value = f.node.value if isinstance(f.node, ScalarNode) else None
    if isinstance(value, str):
        match = _PORT_RANGE.fullmatch(value.strip())
        if match is None:
            raise f.error(f"must be a port number or a range like 3000-3010, got {value!r}")
        first = _port_number(f, int(match.group(1)))
        last = first if match.group(2) is None else _port_number(f, int(match.group(2)))
    elif isinstance(value, int) and not isinstance(value, bool):
        first = last = _port_number(f, value)
    else:
        raise f.wrong_type("a port number or a range like 3000-3010")
    if last < first:
        raise f.error(f"is a range whose end {last} is below its start {first}")
    return first, (None if last == first else last)


def _port_number(f: Field, number: int) -> int:
    if not 1 <= number <= 65535:
        raise f.error(f"must be a port between 1 and 65535, got {number}")
    return number


def _location(f: Field | None) -> str | None:
    value = opt_str(f)
    if value is None or f is None:
        return None
    try:
        return workspace_relative(value)
    except ValueError as reason:
        raise f.error(f"{reason} (locations are relative to /workspace)") from None


def _vscode_extensions(f: Field | None, warnings: Warnings) -> tuple[str, ...]:
    if f is None or f.is_null:
        return ()
    fields = read_object(f, warnings, known=("extensions",))
    extensions: list[str] = []
    for item in opt_list(fields.get("extensions")):
        extension = as_str(item).strip()
        if not extension:
            raise item.error("must be an extension id like `ms-python.python`, got an empty string")
        if extension not in extensions:
            extensions.append(extension)
    return tuple(extensions)
