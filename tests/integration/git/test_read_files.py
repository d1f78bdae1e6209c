"""Reading config files of one commit from real servers, through the cache."""

from __future__ import annotations

import threading

import pygit2
import pytest

from domain.context import parse_context_url
from domain.errors import InvalidConfig, InvalidInput, Unavailable
from infra.git import CommitNotFound, FetchProgress, GitCache, RepositoryNotFound, read_files_at, resolve_context
from tests.gitserver import (
    DEVCONTAINER_JSON,
    FIRST_GITPOD_YML,
    SECOND_GITPOD_YML,
    GitDaemon,
    Seeded,
    SmartHttpServer,
    free_port,
)
from tests.integration.git.conftest import Scratch

CONFIG_FILES = [".gitpod.yml", ".devcontainer/devcontainer.json"]


async def test_reads_the_config_of_the_resolved_commit_not_a_later_one(git_http: SmartHttpServer, scratch: Scratch,
                                                                       git_cache: GitCache) -> None:
    scratch.repo.commit("main", {".gitpod.yml": FIRST_GITPOD_YML})
    resolved = await resolve_context(parse_context_url(git_http.url(scratch.name)), cache=git_cache)
    later = scratch.repo.commit("main", {".gitpod.yml": SECOND_GITPOD_YML})
    # The later commit is fetched first, so the cache holds both: the read must still pick the resolved one.
    assert await read_files_at(resolved.clone_url, later, [".gitpod.yml"], cache=git_cache) == {
        ".gitpod.yml": SECOND_GITPOD_YML}
    assert await read_files_at(resolved.clone_url, resolved.commit, [".gitpod.yml"], cache=git_cache) == {
        ".gitpod.yml": FIRST_GITPOD_YML}


@pytest.mark.parametrize("server", ["http", "daemon", "file"])
@pytest.mark.parametrize("repo", ["acme/widgets", "acme/strict"])
async def test_reads_files_over_every_transport(git_http: SmartHttpServer, git_daemon: GitDaemon, seeded: Seeded,
                                                git_cache: GitCache, server: str, repo: str) -> None:
    url = {"http": git_http.url(repo), "daemon": git_daemon.url(repo), "file": f"file://{seeded.root}/{repo}.git"}
    files = await read_files_at(url[server], seeded.widgets.main, [*CONFIG_FILES, "docs/guide.md"], cache=git_cache)
    assert files == {".gitpod.yml": SECOND_GITPOD_YML, ".devcontainer/devcontainer.json": DEVCONTAINER_JSON,
                     "docs/guide.md": "# guide\n"}


async def test_reads_a_commit_on_no_branch(git_http: SmartHttpServer, seeded: Seeded, git_cache: GitCache) -> None:
    files = await read_files_at(git_http.url("acme/widgets"), seeded.widgets.pull, ["pr.txt", "mr.txt"],
                                cache=git_cache)
    assert files == {"pr.txt": "pull request 1\n"}


async def test_the_fetch_is_shallow_where_the_server_allows(git_http: SmartHttpServer, seeded: Seeded,
                                                            git_cache: GitCache) -> None:
    url = git_http.url("acme/widgets")
    await read_files_at(url, seeded.widgets.main, CONFIG_FILES, cache=git_cache)
    cached = pygit2.Repository(str(git_cache.path_for(url)))
    assert cached.is_shallow
    assert cached.get(seeded.widgets.first) is None


async def test_missing_paths_and_folders_are_left_out(git_http: SmartHttpServer, seeded: Seeded,
                                                      git_cache: GitCache) -> None:
    files = await read_files_at(git_http.url("acme/widgets"), seeded.widgets.first,
                                [*CONFIG_FILES, "docs", "docs/guide.md", "README.md"], cache=git_cache)
    assert files == {".gitpod.yml": FIRST_GITPOD_YML, "README.md": "# widgets\n"}


async def test_paths_keep_the_spelling_they_were_asked_in(git_http: SmartHttpServer, seeded: Seeded,
                                                          git_cache: GitCache) -> None:
    files = await read_files_at(git_http.url("acme/widgets"), seeded.widgets.main, ["/docs//guide.md", "./README.md"],
                                cache=git_cache)
    assert files == {"/docs//guide.md": "# guide\n", "./README.md": "# widgets\n"}


async def test_a_second_read_needs_no_server(git_http: SmartHttpServer, scratch: Scratch, git_cache: GitCache) -> None:
    sha = scratch.repo.commit("main", {".gitpod.yml": FIRST_GITPOD_YML})
    url = git_http.url(scratch.name)
    assert await read_files_at(url, sha, [".gitpod.yml"], cache=git_cache) == {".gitpod.yml": FIRST_GITPOD_YML}
    (scratch.repo.path / "HEAD").rename(scratch.repo.path / "HEAD.gone")  # the server cannot serve it any more
    with pytest.raises(RepositoryNotFound):
        await resolve_context(parse_context_url(url), cache=git_cache)
    assert await read_files_at(url, sha, [".gitpod.yml"], cache=git_cache) == {".gitpod.yml": FIRST_GITPOD_YML}


async def test_symlinks_are_not_followed(git_http: SmartHttpServer, scratch: Scratch, git_cache: GitCache) -> None:
    sha = scratch.repo.commit("main", {"real.yml": FIRST_GITPOD_YML})
    repo = scratch.repo.repo
    commit = repo[pygit2.Oid(hex=sha)]
    assert isinstance(commit, pygit2.Commit)
    builder = repo.TreeBuilder(commit.tree)
    builder.insert(".gitpod.yml", repo.create_blob(b"real.yml"), pygit2.enums.FileMode.LINK)
    signature = pygit2.Signature("t", "t@berth.invalid")
    linked = str(repo.create_commit("refs/heads/main", signature, signature, "link\n", builder.write(), [commit.id]))
    files = await read_files_at(git_http.url(scratch.name), linked, [".gitpod.yml", "real.yml"], cache=git_cache)
    assert files == {"real.yml": FIRST_GITPOD_YML}


async def test_a_file_that_is_not_text_is_an_invalid_config(git_http: SmartHttpServer, scratch: Scratch,
                                                             git_cache: GitCache) -> None:
    sha = scratch.repo.commit("main", {"README.md": "x\n"})
    repo = scratch.repo.repo
    commit = repo[pygit2.Oid(hex=sha)]
    assert isinstance(commit, pygit2.Commit)
    builder = repo.TreeBuilder(commit.tree)
    builder.insert(".gitpod.yml", repo.create_blob(b"tasks: \xff\xfe\n"), pygit2.enums.FileMode.BLOB)
    signature = pygit2.Signature("t", "t@berth.invalid")
    binary = str(repo.create_commit("refs/heads/main", signature, signature, "bin\n", builder.write(), [commit.id]))
    with pytest.raises(InvalidConfig, match=r"\.gitpod\.yml: not UTF-8 text \(byte 7\)"):
        await read_files_at(git_http.url(scratch.name), binary, [".gitpod.yml"], cache=git_cache)


@pytest.mark.parametrize("repo", ["acme/widgets", "acme/strict"])
async def test_an_unknown_commit(git_http: SmartHttpServer, git_cache: GitCache, repo: str) -> None:
    with pytest.raises(CommitNotFound, match=r"4{40}"):
        await read_files_at(git_http.url(repo), "4" * 40, CONFIG_FILES, cache=git_cache)


async def test_an_unknown_commit_over_git_daemon(git_daemon: GitDaemon, git_cache: GitCache) -> None:
    # git daemon hangs up on a want it refuses, which looks like a broken connection; the history settles it.
    with pytest.raises(CommitNotFound, match=r"5{40}"):
        await read_files_at(git_daemon.url("acme/widgets"), "5" * 40, CONFIG_FILES, cache=git_cache)


@pytest.mark.parametrize("commit", ["abc", "A" * 40, "main", ""])
async def test_the_commit_must_be_a_full_sha(git_cache: GitCache, commit: str) -> None:
    with pytest.raises(InvalidInput, match="40 lowercase hex digits") as caught:
        await read_files_at("http://127.0.0.1:1/x", commit, CONFIG_FILES, cache=git_cache)
    assert caught.value.field == "commit"


@pytest.mark.parametrize("path", ["", "/", "..", "../etc/passwd", "a/../../b", "a\0b"])
async def test_paths_must_stay_inside_the_repository(git_cache: GitCache, path: str) -> None:
    with pytest.raises(InvalidInput, match="not a file path inside a repository") as caught:
        await read_files_at("http://127.0.0.1:1/x", "6" * 40, [path], cache=git_cache)
    assert caught.value.field == "paths"


async def test_an_unreachable_server(git_cache: GitCache) -> None:
    with pytest.raises(Unavailable, match="Connection refused"):
        await read_files_at(f"http://127.0.0.1:{free_port()}/x", "6" * 40, CONFIG_FILES, cache=git_cache)


async def test_progress_is_reported_on_the_loop(git_http: SmartHttpServer, seeded: Seeded,
                                                git_cache: GitCache) -> None:
    reports: list[FetchProgress] = []
    thread_ids: set[int] = set()

    def record(progress: FetchProgress) -> None:
        reports.append(progress)
        thread_ids.add(threading.get_ident())

    await read_files_at(git_http.url("acme/widgets"), seeded.widgets.feature, CONFIG_FILES, cache=git_cache,
                        progress=record)
    assert reports and reports[-1].done
    assert reports[-1].received_objects == reports[-1].total_objects > 0
    assert thread_ids == {threading.get_ident()}
