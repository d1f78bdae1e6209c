"""Real-world-shaped config files and the normalized config each must produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.config import (
    DEFAULT_IMAGE,
    DockerfileBuild,
    ExecCommand,
    ImageRef,
    LifecycleCommand,
    Mount,
    Port,
    ShellCommand,
    Task,
    WorkspaceConfig,
    parse_devcontainer_json,
    parse_gitpod_yml,
)

CORPUS = Path(__file__).parent / "corpus"
DEVCONTAINER = ".devcontainer/devcontainer.json"

# (corpus file, expected config without warnings, expected warnings as (line, field, words in message))
Expected = tuple[str, WorkspaceConfig, list[tuple[int | None, str | None, str]]]

GITPOD_CASES: list[Expected] = [
    (
        "node-fullstack.yml",
        WorkspaceConfig(
            image=ImageRef(name="gitpod/workspace-full:2024-01-17-19-15-31"),
            tasks=(
                Task(
                    name="Database",
                    init="docker compose pull",
                    command="docker compose up db",
                    open_mode="tab-before",
                ),
                Task(
                    name="API",
                    before="export NODE_OPTIONS=--max-old-space-size=4096\nnvm use 20\n",
                    init="cd api\nnpm ci\nnpm run build\n",
                    command="cd api && npm run dev",
                    env={
                        "DATABASE_URL": "postgres://postgres:postgres@localhost:5432/app",
                        "LOG_LEVEL": "debug",
                    },
                ),
                Task(
                    name="Web",
                    init="cd web && npm ci",
                    command="cd web && npm run dev -- --host 0.0.0.0\n",
                    open_mode="split-right",
                ),
            ),
            ports=(
                Port(
                    port=5173,
                    name="Web",
                    description="The Vite dev server",
                    on_open="open-preview",
                    visibility="public",
                ),
                Port(port=8080, name="API", on_open="notify"),
                Port(port=5432, on_open="ignore"),
            ),
            vscode_extensions=(
                "dbaeumer.vscode-eslint",
                "esbenp.prettier-vscode",
                "ms-azuretools.vscode-docker@1.29.0",
            ),
            sources=(".gitpod.yml",),
        ),
        [],
    ),
    (
        "dockerfile-build.yml",
        WorkspaceConfig(
            image=DockerfileBuild(dockerfile=".gitpod/Dockerfile", context="."),
            checkout_location="projects/shop",
            workspace_location="projects/shop/shop.code-workspace",
            git_config={"alias.st": "status", "core.autocrlf": "input", "pull.rebase": "true"},
            tasks=(Task(init="make deps", command="make run"),),
            sources=(".gitpod.yml",),
        ),
        [],
    ),
    (
        "go-legacy.yml",
        WorkspaceConfig(
            image=ImageRef(name="golang:1.21"),
            checkout_location="go/src/github.com/demo-apps/go-gin-app",
            workspace_location="go/src/github.com/demo-apps/go-gin-app",
            tasks=(Task(name="serve", command="go run . --port 3000"),),
            ports=(
                Port(
                    port=3000,
                    end_port=3010,
                    name="Previews",
                    description="One port per preview server",
                    protocol="https",
                    on_open="ignore-completely",
                ),
                Port(port=9229, visibility="private", on_open="open-browser"),
            ),
            sources=(".gitpod.yml",),
        ),
        [],
    ),
    (
        "anchors.yml",
        WorkspaceConfig(
            image=ImageRef(name=DEFAULT_IMAGE),
            env={"EDITOR": "code --wait", "TZ": "UTC"},
            tasks=(
                Task(
                    name="web",
                    env={"RAILS_ENV": "development", "REDIS_URL": "redis://localhost:6379", "PORT": "3000"},
                    command="bin/rails server",
                ),
                Task(
                    name="worker",
                    env={"RAILS_ENV": "worker-dev", "REDIS_URL": "redis://localhost:6379"},
                    command="bundle exec sidekiq",
                ),
            ),
            ports=(Port(port=3000, on_open="open-preview"),),
            sources=(".gitpod.yml",),
        ),
        [(2, "x-common-env", "unknown key"), (24, "ports[0].onOpen", "duplicate key")],
    ),
    (
        "gitpod-only-extras.yml",
        WorkspaceConfig(
            image=ImageRef(name="gitpod/workspace-python"),
            tasks=(Task(name="legacy", command="python -m http.server"),),
            sources=(".gitpod.yml",),
        ),
        [
            (2, "github", "prebuilds are configured in Berth"),
            (8, "jetbrains", "not supported"),
            (12, "additionalRepositories", "multi-repository"),
            (18, "tasks[0].prebuild", "move the command to `init`"),
            (19, "tasks[0].openIn", "use `openMode`"),
            (21, "coreDump", "not supported"),
            (23, "workspaceClass", "unknown key"),
        ],
    ),
    (
        "scalars.yml",
        WorkspaceConfig(
            image=ImageRef(name=DEFAULT_IMAGE),
            tasks=(
                Task(
                    name="42",
                    env={"PORT": "8000", "DEBUG": "yes", "RATIO": "1.5", "EMPTY": "", "QUOTED": "007"},
                    command="python manage.py runserver 0.0.0.0:8000",
                ),
            ),
            git_config={"push.autoSetupRemote": "true", "core.abbrev": "12"},
            vscode_extensions=("ms-python.python", "charliermarsh.ruff"),
            sources=(".gitpod.yml",),
        ),
        [],
    ),
    ("empty.yml", WorkspaceConfig(image=ImageRef(name=DEFAULT_IMAGE), sources=(".gitpod.yml",)), []),
]

LOCAL_ENV = {"NPM_TOKEN": "t0k3n", "HOME": "/home/alice"}

DEVCONTAINER_CASES: list[Expected] = [
    (
        "python-image.jsonc",
        WorkspaceConfig(
            image=ImageRef(name="mcr.microsoft.com/devcontainers/python:1-3.12-bullseye"),
            ports=(
                Port(port=8000, name="Django", on_open="open-preview"),
                Port(port=5678, name="debugpy", on_open="ignore"),
            ),
            lifecycle=(
                LifecycleCommand(
                    hook="postCreateCommand",
                    command=ShellCommand(script="pip3 install --user -r requirements.txt"),
                ),
            ),
            vscode_extensions=("ms-python.python", "ms-python.vscode-pylance"),
            remote_user="vscode",
            sources=(DEVCONTAINER,),
        ),
        [
            (8, 'features["ghcr.io/devcontainers/features/node:1"]', "not supported yet"),
            (11, 'features["ghcr.io/devcontainers-contrib/features/poetry:2"]', "not supported yet"),
        ],
    ),
    (
        "node-dockerfile.jsonc",
        WorkspaceConfig(
            image=DockerfileBuild(
                dockerfile=".devcontainer/Dockerfile",
                context=".",
                args={"VARIANT": "20-bookworm", "NPM_TOKEN": "t0k3n"},
                target="dev",
            ),
            env={
                "HOME_HINT": "/home/alice",
                # the container's PATH is unknown while parsing: the supervisor resolves it
                "PATH": "${containerEnv:PATH}:/home/node/.local/bin",
                "WORKSPACE": "/workspace/app",
                "PROJECT": "app",
            },
            container_user="node",
            remote_user="node",
            mounts=(
                Mount(type="volume", source="node_modules-cache", target="/workspace/app/node_modules"),
                Mount(type="bind", source="/home/alice/.ssh", target="/home/node/.ssh", options={"readonly": ""}),
                Mount(type="volume", source="pnpm-store", target="/pnpm"),
            ),
            lifecycle=(
                LifecycleCommand(hook="onCreateCommand", command=ExecCommand(argv=("npm", "ci", "--no-audit"))),
                LifecycleCommand(hook="updateContentCommand", command=ShellCommand(script="npm run build")),
                LifecycleCommand(
                    hook="postCreateCommand",
                    parallel={
                        "db": ShellCommand(script="npm run db:migrate"),
                        "hooks": ExecCommand(argv=("npx", "husky", "install")),
                    },
                ),
                LifecycleCommand(hook="postStartCommand", command=ShellCommand(script="npm run dev &")),
                LifecycleCommand(hook="postAttachCommand", parallel={"readme": ShellCommand(script="cat README.md")}),
            ),
            ports=(
                Port(port=3000, name="App", on_open="open-browser", protocol="https"),
                Port(port=5432, host="db"),
                # inside the 9000-9999 attributes range
                Port(port=9229, name="Tools", on_open="ignore-completely"),
                Port(port=9000, end_port=9999, name="Tools", on_open="ignore-completely"),
            ),
            sources=(DEVCONTAINER,),
        ),
        [
            (42, "initializeCommand", "local machine"),
            (48, 'portsAttributes["npm start"]', "not a port or a range"),
        ],
    ),
    (
        "compose.jsonc",
        WorkspaceConfig(
            image=ImageRef(name=DEFAULT_IMAGE),
            ports=(Port(port=3000),),
            lifecycle=(LifecycleCommand(hook="postCreateCommand", command=ShellCommand(script="bin/setup")),),
            sources=(DEVCONTAINER,),
        ),
        [
            (3, "dockerComposeFile", "Docker Compose"),
            (4, "service", "Docker Compose"),
            (5, "runServices", "Docker Compose"),
            (6, "workspaceFolder", "Berth opens the IDE under /workspace"),
            (9, "unknownSetting", "unknown key"),
            (11, 'features["ghcr.io/devcontainers/features/github-cli:1"]', "not supported yet"),
        ],
    ),
    (
        "image-and-build.jsonc",
        WorkspaceConfig(
            image=DockerfileBuild(dockerfile="build/Dockerfile", context=".devcontainer"),
            vscode_extensions=("ms-vscode.cpptools",),
            env={"CC": "gcc"},
            sources=(DEVCONTAINER,),
        ),
        [
            (3, "image", "ignored because a Dockerfile is built"),
            (5, "customizations.vscode.keybindings", "unknown key"),
            (6, "remoteEnv.CC", "duplicate key"),
        ],
    ),
]


def _check(
    config: WorkspaceConfig, expected: WorkspaceConfig, warnings: list[tuple[int | None, str | None, str]]
) -> None:
    assert config.model_copy(update={"warnings": ()}) == expected
    assert [(w.line, w.field) for w in config.warnings] == [(line, field) for line, field, _ in warnings]
    for warning, (_, _, words) in zip(config.warnings, warnings, strict=True):
        assert words in warning.message


@pytest.mark.parametrize(("name", "expected", "warnings"), GITPOD_CASES, ids=[case[0] for case in GITPOD_CASES])
def test_gitpod_corpus(
    name: str, expected: WorkspaceConfig, warnings: list[tuple[int | None, str | None, str]]
) -> None:
    config = parse_gitpod_yml((CORPUS / "gitpod" / name).read_text())
    _check(config, expected, warnings)


@pytest.mark.parametrize(
    ("name", "expected", "warnings"), DEVCONTAINER_CASES, ids=[case[0] for case in DEVCONTAINER_CASES]
)
def test_devcontainer_corpus(
    name: str, expected: WorkspaceConfig, warnings: list[tuple[int | None, str | None, str]]
) -> None:
    config = parse_devcontainer_json(
        (CORPUS / "devcontainer" / name).read_text(),
        file=DEVCONTAINER,
        local_env=LOCAL_ENV,
        container_workspace_folder="/workspace/app",
    )
    _check(config, expected, warnings)


def test_root_devcontainer_json_paths_are_relative_to_the_repository_root() -> None:
    config = parse_devcontainer_json(
        (CORPUS / "devcontainer" / "root-legacy.jsonc").read_text(), file=".devcontainer.json"
    )
    _check(
        config,
        WorkspaceConfig(
            image=DockerfileBuild(dockerfile="docker/dev.Dockerfile", context="."),
            vscode_extensions=("golang.go",),
            lifecycle=(LifecycleCommand(hook="postCreateCommand", command=ShellCommand(script="go mod download")),),
            workspace_location="legacy",
            sources=(".devcontainer.json",),
        ),
        [(8, "appPort", "use `forwardPorts`"), (9, "runArgs", "not supported")],
    )


def test_container_env_is_substituted_when_known() -> None:
    config = parse_devcontainer_json(
        (CORPUS / "devcontainer" / "node-dockerfile.jsonc").read_text(),
        container_env={"PATH": "/usr/bin:/bin"},
    )
    assert config.env["PATH"] == "/usr/bin:/bin:/home/node/.local/bin"
    # without a workspace folder and local env, those variables stay or become empty, as the spec says
    assert config.env["WORKSPACE"] == "${containerWorkspaceFolder}"
    assert config.env["HOME_HINT"] == ""
    assert isinstance(config.image, DockerfileBuild)
    assert config.image.args == {"VARIANT": "20-bookworm", "NPM_TOKEN": ""}


def test_every_corpus_file_is_covered() -> None:
    covered = {("gitpod", case[0]) for case in GITPOD_CASES}
    covered |= {("devcontainer", case[0]) for case in DEVCONTAINER_CASES}
    covered.add(("devcontainer", "root-legacy.jsonc"))
    on_disk = {(path.parent.name, path.name) for path in CORPUS.glob("*/*") if path.is_file()}
    assert on_disk == covered
