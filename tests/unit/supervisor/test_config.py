"""The supervisor config: a full document parses into the model; every kind of mistake names its field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supervisor.config import (
    ConfigError,
    ExecCommand,
    LifecycleCommand,
    ParallelCommands,
    ShellCommand,
    TaskConfig,
    load_config,
    parse_config,
)


def minimal(**fields: Any) -> dict[str, Any]:
    return {"workspace_id": "amber-otter-k3x9qa", "instance_id": "i-1", **fields}


FULL: dict[str, Any] = {
    "workspace_id": "amber-otter-k3x9qa",
    "instance_id": "i-1",
    "port": 22999,
    "user": "berth",
    "workspace_dir": "/workspace",
    "checkout_location": "repo",
    "workspace_location": "repo/app.code-workspace",
    "env": {"A": "1", "B": "${containerEnv:HOME}"},
    "tasks": [
        {"name": "dev", "before": "export X=1", "init": "npm ci", "command": "npm run dev", "env": {"PORT": "3000"}},
        {"command": "echo hi"},
    ],
    "lifecycle": [
        {"hook": "postStartCommand", "command": {"kind": "exec", "argv": ["make", "watch"]}},
        {"hook": "onCreateCommand", "command": {"kind": "shell", "command": "echo created"}},
        {
            "hook": "postCreateCommand",
            "command": {
                "kind": "parallel",
                "commands": {"a": {"kind": "shell", "command": "echo a"}, "b": {"kind": "exec", "argv": ["true"]}},
            },
        },
    ],
    "start_mode": "restart",
    "log_dir": "/workspace/.berth/logs",
    "token": "s3cret",
}


def test_a_full_config() -> None:
    config = parse_config(FULL)
    assert config.workspace_id == "amber-otter-k3x9qa"
    assert config.checkout_dir == "/workspace/repo"
    assert config.workspace_location == "repo/app.code-workspace"
    assert config.tasks == (
        TaskConfig("dev", "export X=1", "npm ci", "npm run dev", {"PORT": "3000"}),
        TaskConfig(command="echo hi"),
    )
    # Spec order, whatever the file's order.
    assert config.lifecycle == (
        LifecycleCommand("onCreateCommand", ShellCommand("echo created")),
        LifecycleCommand(
            "postCreateCommand", ParallelCommands((("a", ShellCommand("echo a")), ("b", ExecCommand(("true",)))))
        ),
        LifecycleCommand("postStartCommand", ExecCommand(("make", "watch"))),
    )
    assert config.start_mode == "restart"
    assert config.token == "s3cret"


def test_defaults() -> None:
    config = parse_config(minimal(checkout_location=None, workspace_location="."))
    assert (config.port, config.user, config.workspace_dir) == (22999, "berth", "/workspace")
    assert config.start_mode == "fresh"
    assert config.checkout_dir == "/workspace"
    assert config.workspace_location is None
    assert config.tasks == () and config.lifecycle == () and config.env == {}
    assert config.log_dir == "/workspace/.berth/logs" and config.token is None


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        ([], "", "must be an object, got a list"),
        ({"instance_id": "i"}, "workspace_id", "is required"),
        (minimal(workspace_id=""), "workspace_id", "non-empty string, got an empty string"),
        (minimal(instance_id=7), "instance_id", "non-empty string, got the number 7"),
        (minimal(port=0), "port", "port number 1-65535"),
        (minimal(port=True), "port", "port number 1-65535"),
        (minimal(port="22999"), "port", "port number"),
        (minimal(user=None, extra=1), "extra", "unknown field"),
        (minimal(workspace_dir="workspace"), "workspace_dir", "normalized absolute path"),
        (minimal(workspace_dir="/workspace/../etc"), "workspace_dir", "normalized absolute path"),
        (minimal(log_dir="/a//b"), "log_dir", "normalized absolute path"),
        (minimal(checkout_location="../up"), "checkout_location", "relative path inside the workspace"),
        (minimal(checkout_location="/abs"), "checkout_location", "relative path inside the workspace"),
        (minimal(workspace_location="a//b"), "workspace_location", "relative path inside the workspace"),
        (minimal(env=[]), "env", "must be an object, got a list"),
        (minimal(env={"A=B": "x"}), "env.A=B", "not a valid environment variable name"),
        (minimal(env={"A": 1}), "env.A", "must be a string, got the number 1"),
        (minimal(env={"A": "x\0y"}), "env.A", "NUL"),
        (minimal(tasks={}), "tasks", "must be a list, got an object"),
        (minimal(tasks=["echo"]), "tasks[0]", "must be an object, got a string"),
        (minimal(tasks=[{}, {"command": False}]), "tasks[1].command", "non-empty string, got a boolean"),
        (minimal(tasks=[{"env": {"": "x"}}]), "tasks[0].env.", "not a valid environment variable name"),
        (minimal(tasks=[{"commands": "typo"}]), "tasks[0].commands", "unknown field"),
        (minimal(start_mode="warm"), "start_mode", "one of fresh, restart, got 'warm'"),
        (minimal(lifecycle=[{"command": {}}]), "lifecycle[0].hook", "is required"),
        (
            minimal(lifecycle=[{"hook": "preCreate", "command": {"kind": "shell", "command": "x"}}]),
            "lifecycle[0].hook",
            "must be one of onCreateCommand",
        ),
        (minimal(lifecycle=[{"hook": "onCreateCommand"}]), "lifecycle[0].command", "is required"),
        (
            minimal(lifecycle=[{"hook": "onCreateCommand", "command": {"kind": "bash", "command": "x"}}]),
            "lifecycle[0].command.kind",
            "one of shell, exec, parallel",
        ),
        (
            minimal(lifecycle=[{"hook": "onCreateCommand", "command": {"kind": "shell", "argv": ["x"]}}]),
            "lifecycle[0].command.command",
            "is required",
        ),
        (
            minimal(lifecycle=[{"hook": "onCreateCommand", "command": {"kind": "exec", "argv": []}}]),
            "lifecycle[0].command.argv",
            "at least the program",
        ),
        (
            minimal(lifecycle=[{"hook": "onCreateCommand", "command": {"kind": "exec", "argv": ["ls", 3]}}]),
            "lifecycle[0].command.argv[1]",
            "must be a string",
        ),
        (
            minimal(lifecycle=[{"hook": "onCreateCommand", "command": {"kind": "exec", "argv": "ls"}}]),
            "lifecycle[0].command.argv",
            "list of strings, got a string",
        ),
        (
            minimal(lifecycle=[{"hook": "onCreateCommand", "command": {"kind": "parallel", "commands": {}}}]),
            "lifecycle[0].command.commands",
            "at least one named command",
        ),
        (
            minimal(
                lifecycle=[
                    {
                        "hook": "onCreateCommand",
                        "command": {"kind": "parallel", "commands": {"a": {"kind": "parallel", "commands": {}}}},
                    }
                ]
            ),
            "lifecycle[0].command.commands.a.kind",
            "one of shell, exec, got 'parallel'",
        ),
        (
            minimal(
                lifecycle=[
                    {"hook": "onCreateCommand", "command": {"kind": "shell", "command": "a"}},
                    {"hook": "onCreateCommand", "command": {"kind": "shell", "command": "b"}},
                ]
            ),
            "lifecycle[1].hook",
            "already given by lifecycle[0]",
        ),
        (
            minimal(lifecycle=[{"hook": "onCreateCommand", "command": {"kind": "shell", "command": "a", "x": 1}}]),
            "lifecycle[0].command.x",
            "unknown field",
        ),
        (minimal(token=""), "token", "non-empty string"),
    ],
)
def test_mistakes_name_their_field(document: object, field: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{field}: " if field else message)


def test_load_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(FULL))
    assert load_config(path) == parse_config(FULL)


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    with pytest.raises(ConfigError, match=r"cannot read .*config\.json"):
        load_config(path)
    path.write_text('{"workspace_id": "a",\n "instance_id": }')
    with pytest.raises(ConfigError, match=r"config.json is not JSON: .* at line 2 column"):
        load_config(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="is not UTF-8"):
        load_config(path)
