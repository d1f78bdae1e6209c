"""Helpers for runtime tests: a stand-in supervisor, specs, running commands in a workspace,
and real git repositories made with pygit2."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pygit2

from infra.images.local_images import BASE_IMAGE
from node_agent.engine import Engine
from node_agent.instance import InstanceRef, InstanceSpec

# A real executable standing in for the supervisor until its binary exists: the runtime does not
# care what runs as /.berth/supervisor, only that it is mounted read-only and started as root.
STAND_IN_SUPERVISOR = """#!/bin/sh
# berth test supervisor: keeps the workspace running
exec sleep infinity
"""


@dataclass(frozen=True)
class SupervisorFiles:
    binary: Path
    config: Path

    @classmethod
    def write(cls, directory: Path) -> SupervisorFiles:
        directory.mkdir(parents=True)
        binary = directory / "berth-supervisor"
        binary.write_text(STAND_IN_SUPERVISOR)
        binary.chmod(0o755)
        config = directory / "config.json"
        config.write_text('{"tasks": []}\n')
        return cls(binary, config)


def new_ref(workspace_id: str | None = None) -> InstanceRef:
    return InstanceRef(workspace_id or f"test-ws-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()))


def spec_for(ref: InstanceRef, supervisor: SupervisorFiles, *, workspace_class: str = "default",
             image: str = BASE_IMAGE) -> InstanceSpec:
    return InstanceSpec(ref, image, supervisor.binary, supervisor.config, workspace_class=workspace_class)


def run(engine: Engine, container: str, command: str, *, user: str = "berth") -> tuple[int, str]:
    """`bash -c command` in the running container: (exit code, combined output)."""
    created = engine.api.exec_create(container, ["bash", "-c", command], user=user)
    output = engine.api.exec_start(created["Id"])
    code = engine.api.exec_inspect(created["Id"])["ExitCode"]
    return int(code), output.decode(errors="replace")


@dataclass(frozen=True)
class Repo:
    path: Path
    first: str
    second: str

    @property
    def url(self) -> str:
        return self.path.as_uri()


def make_repo(path: Path) -> Repo:
    """main: first commit (README, an executable script, a symlink to /etc/passwd, a relative link
    pointing above the repository, nested files), then a second commit changing README."""
    path.mkdir(parents=True)
    repo = pygit2.init_repository(str(path), initial_head="main")
    (path / "README.md").write_text("first\n")
    (path / "run.sh").write_text("#!/bin/sh\necho ran\n")
    (path / "run.sh").chmod(0o755)
    (path / "src" / "pkg").mkdir(parents=True)
    (path / "src" / "pkg" / "module.py").write_text("VALUE = 1\n")
    os.symlink("/etc/passwd", path / "passwd-link")
    os.symlink("../../etc/hostname", path / "src" / "up-link")
    first = _commit(repo, "first", [])
    (path / "README.md").write_text("second\n")
    second = _commit(repo, "second", [first])
    return Repo(path, first, second)


def _commit(repo: pygit2.Repository, message: str, parents: list[str]) -> str:
    index = repo.index
    index.add_all()
    index.write()
    tree = index.write_tree()
    author = pygit2.Signature("Berth Test", "test@berth.invalid")
    return str(repo.create_commit("HEAD", author, author, message, tree, [pygit2.Oid(hex=p) for p in parents]))
