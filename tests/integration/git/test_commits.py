"""Commits named by sha: verified cheaply where the server allows, expanded and found through the history."""

from __future__ import annotations

import pytest

from domain.context import parse_context_url
from infra.git import FetchProgress, GitCache, read_files_at, resolve_context
from tests.gitserver import GitDaemon, Seeded, SmartHttpServer
from tests.integration.git.conftest import Scratch


@pytest.mark.parametrize("repo", ["acme/widgets", "acme/strict"])
async def test_an_abbreviated_sha_is_expanded_with_progress(git_http: SmartHttpServer, seeded: Seeded,
                                                            git_cache: GitCache, repo: str) -> None:
    reports: list[FetchProgress] = []
    url = parse_context_url(f"{git_http.url(repo)}/commit/{seeded.widgets.first[:7].upper()}")
    resolved = await resolve_context(url, cache=git_cache, progress=reports.append)
    assert (resolved.commit, resolved.ref, resolved.commit_verified) == (seeded.widgets.first, None, True)
    assert reports and reports[-1].done


async def test_an_abbreviated_sha_behind_an_earlier_shallow_fetch(git_http: SmartHttpServer, scratch: Scratch,
                                                                  git_cache: GitCache) -> None:
    old = scratch.repo.commit("main", {"a.txt": "old\n"})
    tip = scratch.repo.commit("main", {"a.txt": "new\n"})
    url = git_http.url(scratch.name)
    await read_files_at(url, tip, ["a.txt"], cache=git_cache)  # leaves the cache shallow, without `old`
    resolved = await resolve_context(parse_context_url(f"{url}/commit/{old[:9]}"), cache=git_cache)
    assert resolved.commit == old


async def test_a_full_sha_that_is_no_tip_is_verified_by_fetching_it(git_http: SmartHttpServer, scratch: Scratch,
                                                                    git_cache: GitCache) -> None:
    old = scratch.repo.commit("main", {"a.txt": "old\n"})
    scratch.repo.commit("main", {"a.txt": "new\n"})
    resolved = await resolve_context(parse_context_url(f"{git_http.url(scratch.name)}/commit/{old}"), cache=git_cache)
    assert (resolved.commit, resolved.commit_verified) == (old, True)


async def test_a_server_that_cannot_fetch_by_sha_leaves_a_full_sha_unverified_until_read(
        git_http: SmartHttpServer, scratch: Scratch, git_cache: GitCache) -> None:
    old = scratch.repo.commit("main", {".gitpod.yml": "old\n"})
    scratch.repo.commit("main", {".gitpod.yml": "new\n"})
    del scratch.repo.repo.config["uploadpack.allowAnySHA1InWant"]
    url = git_http.url(scratch.name)
    resolved = await resolve_context(parse_context_url(f"{url}/commit/{old}"), cache=git_cache)
    assert (resolved.commit, resolved.commit_verified) == (old, False)
    # Reading it then fetches the history, which has it.
    assert await read_files_at(url, old, [".gitpod.yml"], cache=git_cache) == {".gitpod.yml": "old\n"}


async def test_commits_over_git_daemon(git_daemon: GitDaemon, seeded: Seeded, git_cache: GitCache) -> None:
    url = git_daemon.url("acme/strict")
    files = await read_files_at(url, seeded.widgets.first, [".gitpod.yml", "README.md"], cache=git_cache)
    assert files["README.md"] == "# widgets\n"
