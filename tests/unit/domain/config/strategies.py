"""Hypothesis strategies: valid normalized configs (all of the model, or the part one file format
can express) and arbitrary config-shaped documents."""

from __future__ import annotations

from hypothesis import strategies as st

from domain.config import (
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
from domain.config.model import ON_OPEN_ACTIONS, OPEN_MODES, PROTOCOLS, VISIBILITIES

# Any character a config file can hold. Excluded: surrogates (not text), and C0/C1 controls other
# than tab and newline, which YAML cannot carry at all and are no real config's content.
_CHARACTERS = st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n")

text = st.text(_CHARACTERS, max_size=30)
line = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20)
"""One line of text (names, users, extension ids)."""
env_names = st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="="), min_size=1, max_size=12)
port_numbers = st.integers(1, 65535)
_segment = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,8}", fullmatch=True).filter(lambda s: s not in (".", ".."))
relative_paths = st.lists(_segment, min_size=1, max_size=4).map("/".join)
"""Normalized repo-relative paths of files (never `.`)."""
folders = st.just(".") | relative_paths
image_names = st.from_regex(r"[a-z0-9][a-z0-9._/-]{0,30}(:[A-Za-z0-9._-]{1,20})?", fullmatch=True)
extension_ids = st.lists(
    line.map(str.strip).filter(bool),
    max_size=4,
    unique=True,
)


def no_dollar(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """devcontainer.json treats `${…}` as a variable, so text meant literally must avoid it."""
    return strategy.filter(lambda value: "$" not in value)


def env_maps(values: st.SearchStrategy[str] = text) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(env_names, values, max_size=4)


optional_text = st.none() | text
# "localhost" is this container: the parser reads it as no host at all
_hosts = st.from_regex(r"[a-z0-9-]{1,10}", fullmatch=True).filter(lambda host: host != "localhost")


@st.composite
def ports(draw: st.DrawFn, *, hosts: bool = True, visibility: bool = True, description: bool = True) -> Port:
    first = draw(port_numbers)
    end = draw(st.none() | st.integers(first + 1, 65535)) if first < 65535 else None
    return Port(
        port=first,
        end_port=end,
        host=draw(st.none() | _hosts) if hosts else None,
        visibility=draw(st.sampled_from(VISIBILITIES)) if visibility else "private",
        on_open=draw(st.sampled_from(ON_OPEN_ACTIONS)),
        name=draw(st.none() | line),
        description=draw(st.none() | line) if description else None,
        protocol=draw(st.sampled_from(PROTOCOLS)),
    )


tasks = st.builds(
    Task,
    name=st.none() | line,
    before=optional_text,
    init=optional_text,
    command=optional_text,
    env=env_maps(),
    open_mode=st.none() | st.sampled_from(OPEN_MODES),
)


def commands(strings: st.SearchStrategy[str] = text) -> st.SearchStrategy[Command]:
    shell = st.builds(ShellCommand, script=strings.filter(lambda s: s.strip() != ""))
    program = strings.filter(bool)
    exec_ = st.builds(
        ExecCommand,
        argv=st.tuples(program, st.lists(strings, max_size=3)).map(lambda parts: (parts[0], *parts[1])),
    )
    return shell | exec_


@st.composite
def lifecycles(draw: st.DrawFn, strings: st.SearchStrategy[str] = text) -> tuple[LifecycleCommand, ...]:
    hooks: list[LifecycleHook] = [hook for hook in LIFECYCLE_HOOKS if draw(st.booleans())]
    steps = []
    for hook in hooks:
        if draw(st.booleans()):
            steps.append(LifecycleCommand(hook=hook, command=draw(commands(strings))))
        else:
            parallel = draw(st.dictionaries(strings, commands(strings), min_size=1, max_size=3))
            steps.append(LifecycleCommand(hook=hook, parallel=parallel))
    return tuple(steps)


_mount_text = st.from_regex(r"[A-Za-z0-9/._-]{1,16}", fullmatch=True)
_option_names = st.from_regex(r"[a-z][a-z-]{0,10}", fullmatch=True).filter(
    lambda name: name not in ("type", "source", "src", "target", "destination", "dst")
)
mounts = st.builds(
    Mount,
    type=st.sampled_from(["bind", "volume", "tmpfs"]),
    source=st.none() | _mount_text,
    target=_mount_text,
    options=st.dictionaries(_option_names, st.from_regex(r"[A-Za-z0-9=._-]{0,8}", fullmatch=True), max_size=2),
)

dockerfile_builds = st.builds(
    DockerfileBuild,
    dockerfile=relative_paths,
    context=folders,
    args=st.dictionaries(env_names, text, max_size=3),
    target=st.none() | line.filter(bool),
)
images: st.SearchStrategy[ImageSpec] = st.builds(ImageRef, name=image_names) | dockerfile_builds

warnings = st.builds(
    ConfigWarning,
    file=st.sampled_from([".gitpod.yml", ".devcontainer.json"]),
    line=st.none() | st.integers(1, 10_000),
    field=st.none() | line,
    message=text,
)

workspace_configs = st.builds(
    WorkspaceConfig,
    image=images,
    tasks=st.lists(tasks, max_size=3).map(tuple),
    ports=st.lists(ports(), max_size=3).map(tuple),
    env=env_maps(),
    checkout_location=st.none() | folders,
    workspace_location=st.none() | folders,
    vscode_extensions=extension_ids.map(tuple),
    git_config=st.dictionaries(text, text, max_size=3),
    remote_user=st.none() | line,
    container_user=st.none() | line,
    mounts=st.lists(mounts, max_size=2).map(tuple),
    lifecycle=lifecycles(),
    warnings=st.lists(warnings, max_size=2).map(tuple),
    sources=st.lists(st.sampled_from([".gitpod.yml", ".devcontainer.json"]), max_size=2, unique=True).map(tuple),
)
"""Any valid config, for model round-trips."""

gitpod_configs = st.builds(
    WorkspaceConfig,
    image=st.builds(ImageRef, name=image_names)
    | st.builds(DockerfileBuild, dockerfile=relative_paths, context=folders),
    tasks=st.lists(tasks, max_size=3).map(tuple),
    ports=st.lists(ports(hosts=False), max_size=3).map(tuple),
    env=env_maps(),
    checkout_location=st.none() | folders,
    workspace_location=st.none() | folders,
    vscode_extensions=extension_ids.map(tuple),
    git_config=st.dictionaries(text, text, max_size=3),
    sources=st.just((".gitpod.yml",)),
)
"""Configs that `.gitpod.yml` can express, as its parser returns them."""


@st.composite
def devcontainer_ports(draw: st.DrawFn) -> tuple[Port, ...]:
    """Single ports first, then ranges that cover none of them: the order in which the parser
    returns `forwardPorts` and then the ranges of `portsAttributes`."""
    labels = st.none() | no_dollar(line)
    singles = draw(st.lists(port_numbers, unique=True, max_size=3))
    result: list[Port] = []
    for number in singles:
        port = draw(ports(visibility=False, description=False))
        result.append(port.model_copy(update={"port": number, "end_port": None, "name": draw(labels)}))
    for _ in range(draw(st.integers(0, 2))):
        first = draw(st.integers(1, 65534))
        last = draw(st.integers(first + 1, 65535))
        if any(first <= port.port <= (port.end_port or port.port) for port in result):
            continue
        if any(port.end_port == last and port.port == first for port in result):
            continue
        attributes = draw(ports(hosts=False, visibility=False, description=False))
        result.append(attributes.model_copy(update={"port": first, "end_port": last, "name": draw(labels)}))
    return tuple(result)


DEVCONTAINER_FILE = ".devcontainer/devcontainer.json"

devcontainer_configs = st.builds(
    WorkspaceConfig,
    image=st.builds(ImageRef, name=image_names)
    | st.builds(
        DockerfileBuild,
        dockerfile=relative_paths,
        context=folders,
        args=st.dictionaries(env_names.filter(lambda n: "$" not in n), no_dollar(text), max_size=3),
        target=st.none() | no_dollar(line).filter(bool),
    ),
    ports=devcontainer_ports(),
    env=env_maps(no_dollar(text)),
    workspace_location=st.none() | folders,
    vscode_extensions=st.lists(no_dollar(line).map(str.strip).filter(bool), max_size=4, unique=True).map(tuple),
    remote_user=st.none() | no_dollar(line),
    container_user=st.none() | no_dollar(line),
    mounts=st.lists(mounts, max_size=2).map(tuple),
    lifecycle=lifecycles(no_dollar(text)),
    sources=st.just((DEVCONTAINER_FILE,)),
)
"""Configs that devcontainer.json can express, as its parser returns them."""

# Keys of both formats at any depth, so that arbitrary documents reach deep into the readers.
SCHEMA_KEYS = [
    "image", "file", "context", "tasks", "name", "before", "init", "command", "env", "openMode",
    "ports", "port", "visibility", "onOpen", "description", "protocol", "checkoutLocation",
    "workspaceLocation", "vscode", "extensions", "gitConfig", "github", "prebuild", "openIn",
    "build", "dockerfile", "dockerFile", "args", "target", "forwardPorts", "portsAttributes",
    "3000", "3000-3010", "label", "onAutoForward", "containerEnv", "remoteEnv", "remoteUser",
    "containerUser", "mounts", "source", "type", "features", "customizations", "workspaceFolder",
    "dockerComposeFile", "<<", *LIFECYCLE_HOOKS,
]  # fmt: skip
_keys = st.sampled_from(SCHEMA_KEYS) | st.text(max_size=8)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-10, 70_000)
    | st.floats(allow_nan=False)
    | st.sampled_from(["3000-3010", "db:5432", "../x", "/workspace/a", "${localEnv:A:b}", "public", "notify"])
    | st.text(max_size=12)
)
values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=30,
)
documents = st.dictionaries(_keys, values, max_size=8)
"""Config-shaped data: mostly the right keys, any values."""


@st.composite
def corrupted(draw: st.DrawFn, document: object) -> object:
    """`document` (a valid config's data) with one value somewhere in it replaced by any value, or
    an arbitrary key added: the errors and warnings deep inside a file."""
    if isinstance(document, dict) and document and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(document)))
        return {**document, key: draw(corrupted(document[key]))}
    if isinstance(document, list) and document and draw(st.booleans()):
        index = draw(st.integers(0, len(document) - 1))
        return [*document[:index], draw(corrupted(document[index])), *document[index + 1 :]]
    if isinstance(document, dict) and draw(st.booleans()):
        return {**document, draw(_keys): draw(values)}
    return draw(values)
