"""devcontainer.json → `WorkspaceConfig`, following the Dev Container spec (containers.dev).

What Berth can honour is mapped onto the shared model: the image or Dockerfile build, ports and
their attributes, environment, users, VS Code extensions and the five lifecycle commands. What it
cannot do yet becomes a warning rather than an error (features, Docker Compose, `runArgs`…), so a
repository set up for Codespaces or VS Code still opens; the warning tells the user what is missing.
Paths in the file are relative to the folder of the devcontainer.json and come out repo-relative.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import NamedTuple

from domain.config.fields import (
    Field,
    Warnings,
    as_int,
    as_str,
    entries,
    env_map,
    env_name,
    env_value,
    one_of,
    opt_list,
    opt_str,
    read_object,
    str_map,
    validated,
)
from domain.config.jsonc import parse_jsonc
from domain.config.model import (
    DEFAULT_IMAGE,
    LIFECYCLE_HOOKS,
    PROTOCOLS,
    Command,
    DockerfileBuild,
    ExecCommand,
    ImageRef,
    ImageSpec,
    LifecycleCommand,
    Mount,
    OnOpen,
    Port,
    Protocol,
    ShellCommand,
    WorkspaceConfig,
)
from domain.config.paths import join_relative, workspace_relative
from domain.config.substitution import substitute
from domain.config.tree import MappingNode, ScalarNode, map_strings

DEVCONTAINER_FILES = (".devcontainer/devcontainer.json", ".devcontainer.json")
"""Where the spec looks for the file, in its order of preference."""

_KNOWN = (
    "image",
    "build",
    "dockerFile",
    "context",
    "forwardPorts",
    "portsAttributes",
    "containerEnv",
    "remoteEnv",
    "remoteUser",
    "containerUser",
    "mounts",
    "features",
    "customizations",
    "extensions",
    "workspaceFolder",
    *LIFECYCLE_HOOKS,
)
_COMPOSE = "Docker Compose dev containers are not supported yet; `{}` is ignored"
_UNSUPPORTED = {
    "initializeCommand": "`initializeCommand` runs on the local machine, and Berth has none; ignored",
    "runArgs": "`runArgs` (docker run options) are not supported; ignored",
    "appPort": "`appPort` is not supported; use `forwardPorts`",
    "privileged": "privileged containers are not supported; `privileged` is ignored",
    "capAdd": "added capabilities are not supported; `capAdd` is ignored",
    "securityOpt": "security options are not supported; `securityOpt` is ignored",
    "workspaceMount": "Berth mounts the workspace itself under /workspace; `workspaceMount` is ignored",
    "dockerComposeFile": _COMPOSE.format("dockerComposeFile"),
    "service": _COMPOSE.format("service"),
    "runServices": _COMPOSE.format("runServices"),
}
# Spec keys that only matter to a local tool or that Berth already does its own way.
_SILENT = (
    "$schema",
    "name",
    "settings",
    "userEnvProbe",
    "updateRemoteUserUID",
    "overrideCommand",
    "shutdownAction",
    "waitFor",
    "otherPortsAttributes",
    "init",
    "hostRequirements",
    "overrideFeatureInstallOrder",
)
_ON_AUTO_FORWARD: dict[str, OnOpen] = {
    "notify": "notify",
    "openBrowser": "open-browser",
    "openBrowserOnce": "open-browser",
    "openPreview": "open-preview",
    "silent": "ignore",
    "ignore": "ignore-completely",
}
_FORWARD_PORT = re.compile(r"(?:([A-Za-z0-9.-]+):)?([0-9]{1,5})")
_ATTRIBUTE_KEY = re.compile(r"([0-9]{1,5})(?:-([0-9]{1,5}))?")
_LOCAL_HOSTS = ("localhost", "127.0.0.1")
_MOUNT_ALIASES = {"src": "source", "destination": "target", "dst": "target"}


def parse_devcontainer_json(
    text: str,
    *,
    file: str = DEVCONTAINER_FILES[0],
    default_image: str = DEFAULT_IMAGE,
    local_env: Mapping[str, str] | None = None,
    container_env: Mapping[str, str] | None = None,
    container_workspace_folder: str | None = None,
) -> WorkspaceConfig:
    """Parse a devcontainer.json found at `file` (a repo-relative path).

    `${localEnv:VAR}` is resolved from `local_env` (missing: empty), `${containerEnv:VAR}` from
    `container_env`, or left for the supervisor when that is None; see `substitution`.
    Raises InvalidConfig naming the file, line and field of an error.
    """
    env_sources = _EnvSources(local_env or {}, container_env, container_workspace_folder)
    return validated(file, lambda: _read(text, file, default_image, env_sources))


class _EnvSources(NamedTuple):
    local_env: Mapping[str, str]
    container_env: Mapping[str, str] | None
    container_workspace_folder: str | None


def _read(text: str, file: str, default_image: str, env_sources: _EnvSources) -> WorkspaceConfig:
    tree = parse_jsonc(text, file=file)
    tree = map_strings(
        tree,
        lambda value: substitute(
            value,
            local_env=env_sources.local_env,
            container_env=env_sources.container_env,
            container_workspace_folder=env_sources.container_workspace_folder,
        ),
    )
    root = Field(file, "", tree)
    warnings = Warnings()
    top = read_object(root, warnings, known=_KNOWN, ignored=_UNSUPPORTED, silent=_SILENT)
    folder = posixpath.dirname(file) or "."
    uses_compose = isinstance(tree, MappingNode) and any(e.key == "dockerComposeFile" for e in tree.entries)

    image = _image(root, top, folder, warnings)
    if image is None:
        if not uses_compose:
            raise Field(root.file, "image", root.node).error(
                "is required (or `build.dockerfile`) to say what the container runs"
            )
        image = ImageRef(name=default_image)
    ports = _ports(top.get("forwardPorts"), top.get("portsAttributes"), warnings)
    env = _env(top.get("containerEnv"), top.get("remoteEnv"), warnings)
    remote_user = opt_str(top.get("remoteUser"))
    container_user = opt_str(top.get("containerUser"))
    mounts = tuple(_mount(item, warnings) for item in opt_list(top.get("mounts")))
    lifecycle = tuple(
        step for hook in LIFECYCLE_HOOKS if (step := _lifecycle(hook, top.get(hook), warnings)) is not None
    )
    extensions = _extensions(top.get("customizations"), top.get("extensions"), warnings)
    location = _workspace_folder(top.get("workspaceFolder"), warnings)
    _features(top.get("features"), warnings)
    return WorkspaceConfig(
        image=image,
        ports=ports,
        env=env,
        workspace_location=location,
        vscode_extensions=extensions,
        remote_user=remote_user,
        container_user=container_user,
        mounts=mounts,
        lifecycle=lifecycle,
        warnings=warnings.in_line_order(),
        sources=(file,),
    )


def _image(root: Field, top: dict[str, Field], folder: str, warnings: Warnings) -> ImageSpec | None:
    """The Dockerfile build if one is given (`build.dockerfile`, or the legacy top-level
    `dockerFile`/`context`), else the image; None when neither is set."""
    build = top.get("build")
    fields: dict[str, Field] = {}
    if build is not None and not build.is_null:
        fields = read_object(
            build,
            warnings,
            known=("dockerfile", "context", "args", "target"),
            silent=("cacheFrom", "options"),
        )
    dockerfile_field = fields.get("dockerfile") or top.get("dockerFile")
    context_field = fields.get("context") or top.get("context")
    image_field = top.get("image")
    if dockerfile_field is None or dockerfile_field.is_null:
        if fields:
            raise Field(root.file, "build.dockerfile", build.node if build else root.node).error(
                "is required when `build` is set"
            )
        if image_field is None or image_field.is_null:
            return None
        name = as_str(image_field)
        if not name or any(char.isspace() for char in name):
            raise image_field.error(f"must be an image name like `mcr.microsoft.com/devcontainers/base`, got {name!r}")
        return ImageRef(name=name)
    if image_field is not None and not image_field.is_null:
        warnings.add(root.file, image_field.line, "image", "`image` is ignored because a Dockerfile is built")
    context = folder
    if context_field is not None and not context_field.is_null:
        context = _repo_path(context_field, folder)
    target = opt_str(fields.get("target"))
    return DockerfileBuild(
        dockerfile=_repo_path(dockerfile_field, folder),
        context=context,
        args=str_map(fields.get("args"), warnings),
        target=target or None,
    )


def _repo_path(f: Field, folder: str) -> str:
    try:
        return join_relative(folder, as_str(f))
    except ValueError as reason:
        raise f.error(f"{reason} (paths are relative to the folder of devcontainer.json)") from None


def _ports(forward: Field | None, attributes: Field | None, warnings: Warnings) -> tuple[Port, ...]:
    """Forwarded ports first (in their order, with their attributes), then the ports that only have
    attributes: those apply when something starts listening there, as in Gitpod's `ports`."""
    attributed = _ports_attributes(attributes, warnings)
    ports: list[Port] = []
    forwarded: set[int] = set()
    for item in opt_list(forward):
        host, number = _forward_port(item)
        if any(port.port == number and port.host == host for port in ports):
            continue
        forwarded.add(number)
        exact = [attrs for first, last, attrs in attributed if first == number and last is None]
        ranges = [attrs for first, last, attrs in attributed if last is not None and first <= number <= last]
        chosen = (exact or ranges or [_PortAttributes()])[0]
        ports.append(chosen.port(number, None, host))
    for first, last, attrs in attributed:
        if last is None and first in forwarded:
            continue
        ports.append(attrs.port(first, last, None))
    return tuple(ports)


def _forward_port(f: Field) -> tuple[str | None, int]:
    value = f.node.value if isinstance(f.node, ScalarNode) else None
    if isinstance(value, str):
        match = _FORWARD_PORT.fullmatch(value)
        if match is None:
            raise f.error(f'must be a port number or "host:port", got {value!r}')
        host = match.group(1)
        return (None if host in _LOCAL_HOSTS else host), _port_number(f, int(match.group(2)))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise f.wrong_type('a port number or "host:port"')
    return None, _port_number(f, as_int(f))


def _port_number(f: Field, number: int) -> int:
    if not 1 <= number <= 65535:
        raise f.error(f"must be a port between 1 and 65535, got {number}")
    return number


class _PortAttributes(NamedTuple):
    name: str | None = None
    on_open: OnOpen = "notify"
    protocol: Protocol = "http"

    def port(self, first: int, last: int | None, host: str | None) -> Port:
        return Port(port=first, end_port=last, host=host, name=self.name, on_open=self.on_open, protocol=self.protocol)


def _ports_attributes(f: Field | None, warnings: Warnings) -> list[tuple[int, int | None, _PortAttributes]]:
    if f is None or f.is_null:
        return []
    result: list[tuple[int, int | None, _PortAttributes]] = []
    for key, key_line, value in entries(f, warnings):
        match = _ATTRIBUTE_KEY.fullmatch(key)
        if match is None:
            warnings.add(
                f.file,
                key_line,
                value.path,
                f"port attributes for {key!r} (not a port or a range) are not supported",
            )
            continue
        first = _port_number(value, int(match.group(1)))
        last = None if match.group(2) is None else _port_number(value, int(match.group(2)))
        if last is not None and last < first:
            raise value.error(f"is a range whose end {last} is below its start {first}")
        fields = read_object(
            value,
            warnings,
            known=("label", "onAutoForward", "protocol"),
            silent=("requireLocalPort", "elevateIfNeeded"),
        )
        attrs = _PortAttributes(name=opt_str(fields.get("label")))
        if (action := fields.get("onAutoForward")) is not None and not action.is_null:
            attrs = attrs._replace(on_open=_ON_AUTO_FORWARD[one_of(action, tuple(_ON_AUTO_FORWARD))])
        if (protocol := fields.get("protocol")) is not None and not protocol.is_null:
            attrs = attrs._replace(protocol=one_of(protocol, PROTOCOLS))
        result.append((first, None if last == first else last, attrs))
    return result


def _env(container: Field | None, remote: Field | None, warnings: Warnings) -> dict[str, str]:
    """`containerEnv`, then `remoteEnv` on top; a null in `remoteEnv` removes the variable."""
    env = env_map(container, warnings)
    if remote is None or remote.is_null:
        return env
    for key, key_line, value in entries(remote, warnings):
        env_name(value, key, key_line)
        if value.is_null:
            env.pop(key, None)
        else:
            env[key] = env_value(value)
    return env


def _mount(f: Field, warnings: Warnings) -> Mount:
    """A mount in the string form (`source=x,target=/y,type=volume`) or the object form."""
    if isinstance(f.node, ScalarNode):
        options: dict[str, str] = {}
        for part in as_str(f).split(","):
            name, has_value, value = part.partition("=")
            name = _MOUNT_ALIASES.get(name.strip(), name.strip())
            if name:
                options[name] = value if has_value else ""
        mount_type = options.pop("type", "") or "volume"  # `docker run --mount` defaults to a volume
        source = options.pop("source", None)
        target = options.pop("target", "")
    else:
        fields = read_object(f, warnings, known=("type", "source", "target"))
        options = {}
        mount_type = as_str(fields["type"]) if "type" in fields else "volume"
        source = opt_str(fields.get("source"))
        target = as_str(fields["target"]) if "target" in fields else ""
    if not target:
        raise f.error("needs a `target`, the path inside the container")
    return Mount(type=mount_type, source=source, target=target, options=options)


def _lifecycle(hook: str, f: Field | None, warnings: Warnings) -> LifecycleCommand | None:
    """A hook in any of its three forms; None when it is absent or has nothing to run."""
    if f is None or f.is_null:
        return None
    if isinstance(f.node, MappingNode):
        parallel = {
            name: command for name, _, value in entries(f, warnings) if (command := _command(value)) is not None
        }
        return LifecycleCommand.model_validate({"hook": hook, "parallel": parallel}) if parallel else None
    command = _command(f)
    return None if command is None else LifecycleCommand.model_validate({"hook": hook, "command": command})


def _command(f: Field) -> Command | None:
    """A string runs in a shell, an array runs without one; an empty one runs nothing."""
    if isinstance(f.node, ScalarNode) and not f.is_null:
        script = as_str(f)
        return ShellCommand(script=script) if script.strip() else None
    if isinstance(f.node, MappingNode):
        raise f.wrong_type("a command string or an array of arguments")
    items = opt_list(f)
    argv = tuple(as_str(item) for item in items)
    if not argv:
        return None
    if not argv[0]:
        raise items[0].error("must name the program to run, got an empty string")
    return ExecCommand(argv=argv)


def _extensions(customizations: Field | None, legacy: Field | None, warnings: Warnings) -> tuple[str, ...]:
    """`customizations.vscode.extensions`, plus the top-level `extensions` older files use."""
    items = opt_list(legacy)
    if customizations is not None and not customizations.is_null:
        # Other tools keep their own settings under `customizations`; only VS Code's matter here.
        for key, _, value in entries(customizations, warnings):
            if key == "vscode" and not value.is_null:
                vscode = read_object(value, warnings, known=("extensions",), silent=("settings",))
                items = opt_list(vscode.get("extensions")) + items
    extensions: list[str] = []
    for item in items:
        extension = as_str(item).strip()
        if not extension:
            raise item.error("must be an extension id like `ms-python.python`, got an empty string")
        if extension not in extensions:
            extensions.append(extension)
    return tuple(extensions)


def _workspace_folder(f: Field | None, warnings: Warnings) -> str | None:
    value = opt_str(f)
    if value is None or f is None:
        return None
    try:
        return workspace_relative(value)
    except ValueError:
        warnings.add(
            f.file,
            f.line,
            f.path,
            f"Berth opens the IDE under /workspace; `workspaceFolder` {value!r} is ignored",
        )
        return None


def _features(f: Field | None, warnings: Warnings) -> None:
    if f is None or f.is_null:
        return
    for feature, key_line, value in entries(f, warnings):
        warnings.add(
            f.file,
            key_line,
            value.path,
            f"dev container feature {feature!r} is not supported yet; it was not installed",
        )
