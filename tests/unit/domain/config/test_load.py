"""Choosing the config file of a repository: precedence, defaults, ignored files."""

from __future__ import annotations

import pytest

from domain.config import (
    CONFIG_FILES,
    DEFAULT_IMAGE,
    ImageRef,
    Task,
    WorkspaceConfig,
    load_workspace_config,
)
from domain.errors import InvalidConfig

GITPOD = "image: node:20\ntasks:\n  - command: npm start\n"
DEVCONTAINER = '{"image": "mcr.microsoft.com/devcontainers/python:3", "postCreateCommand": "pip install ."}'


def test_no_config_gives_the_defaults() -> None:
    assert load_workspace_config({}) == WorkspaceConfig(image=ImageRef(name=DEFAULT_IMAGE))


def test_the_default_image_is_the_callers() -> None:
    config = load_workspace_config({"README.md": "# hi"}, default_image="localhost/berth-base:2")
    assert config == WorkspaceConfig(image=ImageRef(name="localhost/berth-base:2"))
    assert config.sources == ()


def test_an_empty_gitpod_yml_uses_the_default_image_too() -> None:
    config = load_workspace_config({".gitpod.yml": ""}, default_image="localhost/base")
    assert config.image == ImageRef(name="localhost/base")
    assert config.sources == (".gitpod.yml",)


def test_gitpod_yml_alone() -> None:
    config = load_workspace_config({".gitpod.yml": GITPOD})
    assert config.image == ImageRef(name="node:20")
    assert config.tasks == (Task(command="npm start"),)
    assert config.sources == (".gitpod.yml",)
    assert config.ignored_sources == ()
    assert config.warnings == ()


@pytest.mark.parametrize("path", [".devcontainer/devcontainer.json", ".devcontainer.json"])
def test_devcontainer_json_alone(path: str) -> None:
    config = load_workspace_config({path: DEVCONTAINER})
    assert config.image == ImageRef(name="mcr.microsoft.com/devcontainers/python:3")
    assert config.sources == (path,)
    assert config.lifecycle[0].hook == "postCreateCommand"


def test_gitpod_yml_wins_and_the_ignored_file_is_recorded_and_shown() -> None:
    config = load_workspace_config({".devcontainer/devcontainer.json": DEVCONTAINER, ".gitpod.yml": GITPOD})
    assert config.image == ImageRef(name="node:20")
    assert config.lifecycle == ()
    assert config.sources == (".gitpod.yml",)
    assert config.ignored_sources == (".devcontainer/devcontainer.json",)
    [note] = config.warnings
    assert note.file == ".devcontainer/devcontainer.json"
    assert str(note) == (
        ".devcontainer/devcontainer.json: .devcontainer/devcontainer.json is ignored"
        " because .gitpod.yml takes precedence"
    )


def test_an_ignored_file_is_not_parsed_so_its_errors_do_not_block_a_start() -> None:
    config = load_workspace_config({".gitpod.yml": GITPOD, ".devcontainer.json": "{ not json"})
    assert config.ignored_sources == (".devcontainer.json",)


def test_the_devcontainer_folder_wins_over_the_root_file_as_in_the_spec() -> None:
    config = load_workspace_config(
        {".devcontainer.json": '{"image": "root"}', ".devcontainer/devcontainer.json": '{"image": "folder"}'}
    )
    assert config.image == ImageRef(name="folder")
    assert config.ignored_sources == (".devcontainer.json",)


def test_all_three_present() -> None:
    files = {path: DEVCONTAINER for path in CONFIG_FILES} | {".gitpod.yml": GITPOD}
    config = load_workspace_config(files)
    assert config.sources == (".gitpod.yml",)
    assert config.ignored_sources == (".devcontainer/devcontainer.json", ".devcontainer.json")
    assert [warning.file for warning in config.warnings] == list(config.ignored_sources)


def test_notes_about_ignored_files_come_before_the_files_own_warnings() -> None:
    config = load_workspace_config({".gitpod.yml": GITPOD + "unknown: 1\n", ".devcontainer.json": "{}"})
    assert [(w.file, w.field) for w in config.warnings] == [
        (".devcontainer.json", None),
        (".gitpod.yml", "unknown"),
    ]


def test_paths_may_be_spelled_with_a_leading_dot_slash() -> None:
    assert load_workspace_config({"./.gitpod.yml": GITPOD}).sources == (".gitpod.yml",)


def test_an_invalid_chosen_file_raises() -> None:
    with pytest.raises(InvalidConfig) as caught:
        load_workspace_config({".gitpod.yml": "tasks: {}", ".devcontainer.json": DEVCONTAINER})
    assert (caught.value.file, caught.value.line, caught.value.field) == (".gitpod.yml", 1, "tasks")


def test_devcontainer_variables_come_from_the_callers_environments() -> None:
    files = {".devcontainer.json": '{"image": "x", "remoteEnv": {"A": "${localEnv:A}", "P": "${containerEnv:PATH}"}}'}
    config = load_workspace_config(
        files,
        local_env={"A": "from-user"},
        container_env={"PATH": "/bin"},
        container_workspace_folder="/workspace/r",
    )
    assert config.env == {"A": "from-user", "P": "/bin"}
