"""Content init from a real git repository (pygit2 clone on the node, tar into /workspace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from node_agent.content.marker import read_marker
from node_agent.docker_runtime import DockerRuntime
from node_agent.engine import Engine
from node_agent.errors import CloneFailed, CommitNotFound
from node_agent.instance import ContentSource, GitSource
from node_agent.progress import Progress, Stage
from tests.integration.node_agent.workspaces import SupervisorFiles, make_repo, new_ref, run, spec_for

pytestmark = pytest.mark.docker


async def test_a_clone_lands_in_workspace_owned_by_the_user_with_symlinks_intact(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "origin")
    ref = new_ref()
    created = await runtime.create(spec_for(ref, supervisor))
    seen: list[Progress] = []
    result = await runtime.init_content(
        created, git=GitSource(repo.url, "nested/app", commit=repo.second, branch="main"), on_progress=seen.append
    )
    await runtime.start(ref)

    assert result.source is ContentSource.GIT
    assert result.commit == repo.second
    assert result.bytes > 0
    stages = {progress.stage for progress in seen}
    assert stages == {Stage.CLONE, Stage.UPLOAD}
    assert next(p for p in seen if p.done and p.stage is Stage.UPLOAD).bytes == result.bytes
    assert next(p for p in seen if p.done and p.stage is Stage.CLONE).objects

    container = ref.container_name
    code, out = run(engine, container, "cd /workspace/nested/app && cat README.md && git status --porcelain "
                                       "&& git rev-parse --abbrev-ref HEAD")
    assert (code, out.split()) == (0, ["second", "main"]), out
    # Every file, the checkout and its parents below /workspace belong to berth (uid 33333).
    code, out = run(engine, container, "find /workspace -not -user 33333 -o -not -group 33333")
    assert (code, out) == (0, ""), out
    code, out = run(engine, container, "stat -c '%a %F' /workspace/nested/app/run.sh && /workspace/nested/app/run.sh")
    assert (code, out.split("\n")[:2]) == (0, ["755 regular file", "ran"]), out
    # A symlink to /etc/passwd is a symlink in the container, to the container's own /etc/passwd.
    code, out = run(engine, container, "cd /workspace/nested/app && readlink passwd-link && readlink src/up-link "
                                       "&& grep -c '^berth:' passwd-link")
    assert (code, out.split()) == (0, ["/etc/passwd", "../../etc/hostname", "1"]), out
    # The user can work in it: write, commit.
    code, out = run(engine, container, "cd /workspace/nested/app && echo x > new.txt && git add new.txt "
                                       "&& git -c user.name=t -c user.email=t@t commit -qm more && echo ok")
    assert (code, out.strip()) == (0, "ok"), out
    # The marker closes the content, naming this instance and a fresh start (init runs): the supervisor's go.
    marker = read_marker(engine, container)
    assert marker is not None and (marker.instance_id, marker.source, marker.start_mode) == (
        ref.instance_id, "git", "fresh")


async def test_a_commit_without_a_branch_is_checked_out_detached(
    runtime: DockerRuntime, engine: Engine, supervisor: SupervisorFiles, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "origin")
    ref = new_ref()
    created = await runtime.create(spec_for(ref, supervisor))
    result = await runtime.init_content(created, git=GitSource(repo.url, "origin", commit=repo.first))
    assert result.commit == repo.first
    await runtime.start(ref)
    code, out = run(engine, ref.container_name, "cd /workspace/origin && cat README.md && git rev-parse HEAD "
                                                "&& git status --porcelain")
    assert (code, out.split()) == (0, ["first", repo.first]), out


async def test_clone_failures_are_typed(runtime: DockerRuntime, supervisor: SupervisorFiles, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "origin")
    ref = new_ref()
    created = await runtime.create(spec_for(ref, supervisor))
    with pytest.raises(CommitNotFound):
        await runtime.init_content(created, git=GitSource(repo.url, "r", commit="0" * 40))
    with pytest.raises(CloneFailed):
        await runtime.init_content(created, git=GitSource((tmp_path / "nothing-here").as_uri(), "r"))
