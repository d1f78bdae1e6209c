"""The normalized model refuses values no parser may produce."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from domain.config import (
    DockerfileBuild,
    ExecCommand,
    ImageRef,
    LifecycleCommand,
    Port,
    ShellCommand,
    Task,
    WorkspaceConfig,
)
from domain.config.paths import is_normalized_relative, join_relative, workspace_relative

IMAGE = ImageRef(name="ubuntu")


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (ImageRef, {"name": ""}),
        (ImageRef, {"name": "ubuntu latest"}),
        (DockerfileBuild, {"dockerfile": "../Dockerfile"}),
        (DockerfileBuild, {"dockerfile": "/Dockerfile"}),
        (DockerfileBuild, {"dockerfile": "./Dockerfile"}),
        (DockerfileBuild, {"dockerfile": "Dockerfile", "context": "a/"}),
        (Port, {"port": 0}),
        (Port, {"port": 65536}),
        (Port, {"port": 3000, "end_port": 3000}),
        (Port, {"port": 3000, "end_port": 2000}),
        (Port, {"port": 3000, "visibility": "everyone"}),
        (Task, {"env": {"A=B": "x"}}),
        (Task, {"env": {"A": "a\0b"}}),
        (Task, {"open_mode": "split-top"}),
        (ShellCommand, {"script": ""}),
        (ExecCommand, {"argv": ()}),
        (LifecycleCommand, {"hook": "postCreateCommand"}),
        (LifecycleCommand, {"hook": "postBuildCommand", "command": ShellCommand(script="x")}),
        (
            LifecycleCommand,
            {
                "hook": "postCreateCommand",
                "command": ShellCommand(script="x"),
                "parallel": {"a": ShellCommand(script="y")},
            },
        ),
        (WorkspaceConfig, {"image": IMAGE, "checkout_location": "/workspace/x"}),
        (WorkspaceConfig, {"image": IMAGE, "unknown": 1}),
    ],
)
def test_invalid_values_are_refused(model: type[Any], values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model(**values)


def test_lifecycle_commands_are_in_spec_order_and_unique() -> None:
    start = LifecycleCommand(hook="postStartCommand", command=ShellCommand(script="a"))
    create = LifecycleCommand(hook="onCreateCommand", command=ExecCommand(argv=("b",)))
    config = WorkspaceConfig(image=IMAGE, lifecycle=(create, start))
    assert config.lifecycle_command("postStartCommand") == start
    assert config.lifecycle_command("postAttachCommand") is None
    with pytest.raises(ValidationError):
        WorkspaceConfig(image=IMAGE, lifecycle=(start, create))
    with pytest.raises(ValidationError):
        WorkspaceConfig(image=IMAGE, lifecycle=(start, start))


def test_configs_are_frozen() -> None:
    config = WorkspaceConfig(image=IMAGE)
    with pytest.raises(ValidationError):
        config.tasks = (Task(),)  # type: ignore[misc]


def test_the_image_is_tagged_by_kind_in_its_dump() -> None:
    config = WorkspaceConfig(image=DockerfileBuild(dockerfile="Dockerfile"))
    assert config.model_dump()["image"] == {
        "kind": "dockerfile",
        "dockerfile": "Dockerfile",
        "context": ".",
        "args": {},
        "target": None,
    }


def test_port_ranges_cover_their_ports() -> None:
    assert Port(port=3000, end_port=3010).covers(3010)
    assert not Port(port=3000).covers(3001)


@pytest.mark.parametrize(
    ("path", "normalized"),
    [
        (".", True),
        ("a/b", True),
        ("", False),
        ("/a", False),
        ("..", False),
        ("../a", False),
        ("a/./b", False),
    ],
)
def test_normalized_relative_paths(path: str, normalized: bool) -> None:
    assert is_normalized_relative(path) is normalized


@pytest.mark.parametrize(
    ("base", "path", "joined"),
    [(".", "./Dockerfile", "Dockerfile"), (".devcontainer", "..", "."), (".devcontainer", "../a//b/", "a/b")],
)
def test_join_relative(base: str, path: str, joined: str) -> None:
    assert join_relative(base, path) == joined


@pytest.mark.parametrize(("base", "path"), [(".", ""), (".", "/etc"), (".devcontainer", "../.."), (".", "a\0")])
def test_join_relative_refuses(base: str, path: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        join_relative(base, path)


@pytest.mark.parametrize(
    ("path", "relative"),
    [
        ("/workspace", "."),
        ("/workspace/", "."),
        ("/workspace/a/b", "a/b"),
        ("a/../b", "b"),
        ("go/src", "go/src"),
    ],
)
def test_workspace_relative(path: str, relative: str) -> None:
    assert workspace_relative(path) == relative


@pytest.mark.parametrize("path", ["/workspaces/x", "/workspace-other", "/", "../x", "/workspace/../etc", ""])
def test_workspace_relative_refuses(path: str) -> None:
    with pytest.raises(ValueError, match="/workspace"):
        workspace_relative(path)
