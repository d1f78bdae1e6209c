"""devcontainer.json variables."""

from __future__ import annotations

import pytest

from domain.config import substitute

LOCAL = {"HOME": "/home/alice", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${localEnv:HOME}/.ssh", "/home/alice/.ssh"),
        ("${localEnv:MISSING}", ""),
        ("${localEnv:MISSING:fallback}", "fallback"),
        ("${localEnv:MISSING:a:b}", "a:b"),  # the default is everything after the second colon
        ("${localEnv:EMPTY:fallback}", ""),  # set but empty is not missing
        ("${env:HOME}", "/home/alice"),  # the older spelling
        ("${localEnv:HOME}${localEnv:HOME}", "/home/alice/home/alice"),
        ("$HOME and ${HOME}", "$HOME and ${HOME}"),  # shell syntax is the shell's business
        ("${localWorkspaceFolder}/x", "${localWorkspaceFolder}/x"),  # no local folder in Berth
        ("${devcontainerId}", "${devcontainerId}"),
        ("${localEnv:}", "${localEnv:}"),
        ("${", "${"),
    ],
)
def test_local_env(text: str, expected: str) -> None:
    assert substitute(text, local_env=LOCAL) == expected


def test_container_env_waits_for_the_container_when_unknown() -> None:
    assert substitute("${containerEnv:PATH}:/x", local_env={}) == "${containerEnv:PATH}:/x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${containerEnv:PATH}:/x", "/usr/bin:/x"),
        ("${containerEnv:GOPATH}", ""),
        ("${containerEnv:GOPATH:/go}", "/go"),
    ],
)
def test_container_env_when_known(text: str, expected: str) -> None:
    assert substitute(text, local_env={}, container_env={"PATH": "/usr/bin"}) == expected


def test_container_workspace_folder() -> None:
    text = "${containerWorkspaceFolder} ${containerWorkspaceFolderBasename}"
    assert substitute(text, local_env={}, container_workspace_folder="/workspace/shop/") == "/workspace/shop/ shop"
    assert substitute(text, local_env={}) == text


def test_substituted_text_is_not_substituted_again() -> None:
    assert substitute("${localEnv:A}", local_env={"A": "${localEnv:B}", "B": "b"}) == "${localEnv:B}"
