"""What resolving says when the remote has not got what the context URL asks for, or cannot be reached."""

from __future__ import annotations

import time

import pytest

from domain.context import parse_context_url
from domain.errors import NotFound, PermanentError, Unavailable
from infra.git import CommitNotFound, GitCache, RefNotFound, RepositoryNotFound, RequestNotFound, resolve_context
from tests.gitserver import GitDaemon, Seeded, SilentServer, SmartHttpServer, free_port
from tests.integration.git.conftest import Scratch


async def test_an_unknown_branch_names_it_and_suggests_existing_ones(git_http: SmartHttpServer,
                                                                     git_cache: GitCache) -> None:
    url = parse_context_url(git_http.url("acme/widgets") + "/tree/feature/with-slahs/src")
    with pytest.raises(RefNotFound) as caught:
        await resolve_context(url, cache=git_cache)
    assert "'feature/with-slahs/src'" in str(caught.value)
    assert caught.value.available[0] == "feature/with-slash"
    assert {"main", "feature/with"} <= set(caught.value.available)
    assert isinstance(caught.value, NotFound) and isinstance(caught.value, PermanentError)


async def test_an_unknown_branch_that_looks_like_a_sha(git_http: SmartHttpServer, git_cache: GitCache) -> None:
    url = parse_context_url(git_http.url("acme/widgets") + "/tree/deadbeef/src")
    with pytest.raises(RefNotFound, match=r"no branch, tag or commit 'deadbeef' in .*; branches include: main"):
        await resolve_context(url, cache=git_cache)


async def test_an_unknown_full_sha_on_a_server_that_fetches_by_sha(git_http: SmartHttpServer,
                                                                    git_cache: GitCache) -> None:
    url = parse_context_url(git_http.url("acme/widgets") + "/commit/" + "1" * 40)
    with pytest.raises(CommitNotFound, match=r"commit 1{40} not found in http://127\.0\.0\.1:\d+/acme/widgets"):
        await resolve_context(url, cache=git_cache)


@pytest.mark.parametrize("repo", ["acme/widgets", "acme/strict"])
async def test_an_unknown_abbreviated_sha(git_http: SmartHttpServer, git_cache: GitCache, repo: str) -> None:
    url = parse_context_url(git_http.url(repo) + "/commit/abcdef12")
    with pytest.raises(CommitNotFound, match=r"commit abcdef12 not found .*no branch or tag reaches it"):
        await resolve_context(url, cache=git_cache)


async def test_an_unknown_full_sha_on_a_server_that_cannot_say_is_accepted_unverified(
        git_http: SmartHttpServer, git_cache: GitCache) -> None:
    url = parse_context_url(git_http.url("acme/strict") + "/commit/" + "3" * 40)
    resolved = await resolve_context(url, cache=git_cache)
    assert (resolved.commit, resolved.commit_verified, resolved.ref) == ("3" * 40, False, None)


@pytest.mark.parametrize(("form", "message"), [
    ("/pull/9", "pull request #9 not found .*refs/pull/9/head"),
    ("/pulls/9", "pull request #9 not found"),
    ("/-/merge_requests/1", "merge request #1 not found .*refs/merge-requests/1/head"),
])
async def test_an_unknown_request(git_http: SmartHttpServer, git_cache: GitCache, form: str, message: str) -> None:
    with pytest.raises(RequestNotFound, match=message):
        await resolve_context(parse_context_url(git_http.url("acme/widgets") + form), cache=git_cache)


async def test_an_empty_repository_has_no_default_branch(git_http: SmartHttpServer, git_cache: GitCache) -> None:
    with pytest.raises(RefNotFound, match="has no default branch: it is empty"):
        await resolve_context(parse_context_url(git_http.url("acme/empty")), cache=git_cache)


async def test_a_head_naming_no_existing_branch(git_http: SmartHttpServer, scratch: Scratch,
                                                git_cache: GitCache) -> None:
    scratch.repo.commit("other", {"a.txt": "a\n"})  # HEAD still names main, which has no commit
    with pytest.raises(RefNotFound, match="has no default branch: its HEAD names no existing branch; branches: other"):
        await resolve_context(parse_context_url(git_http.url(scratch.name)), cache=git_cache)


async def test_an_empty_repository_has_no_branch_either(git_daemon: GitDaemon, git_cache: GitCache) -> None:
    url = parse_context_url(git_daemon.url("acme/empty"))
    with pytest.raises(RefNotFound, match="has no default branch"):
        await resolve_context(url, cache=git_cache)


async def test_a_missing_repository_over_http(git_http: SmartHttpServer, git_cache: GitCache) -> None:
    with pytest.raises(RepositoryNotFound, match="404"):
        await resolve_context(parse_context_url(git_http.url("acme/missing")), cache=git_cache)


async def test_a_missing_repository_over_git_daemon(git_daemon: GitDaemon, git_cache: GitCache) -> None:
    with pytest.raises(RepositoryNotFound, match="not exported"):
        await resolve_context(parse_context_url(git_daemon.url("acme/missing")), cache=git_cache)


async def test_a_missing_repository_on_disk(seeded: Seeded, git_cache: GitCache) -> None:
    with pytest.raises(RepositoryNotFound, match="missing"):
        await resolve_context(parse_context_url(f"file://{seeded.root}/acme/missing.git"), cache=git_cache)


async def test_a_repository_that_needs_credentials(git_http: SmartHttpServer, git_cache: GitCache) -> None:
    with pytest.raises(RepositoryNotFound, match="asks for credentials"):
        await resolve_context(parse_context_url(git_http.url("private/secret")), cache=git_cache)


async def test_a_server_error_is_temporary(git_http: SmartHttpServer, git_cache: GitCache) -> None:
    with pytest.raises(Unavailable, match="500"):
        await resolve_context(parse_context_url(git_http.url("broken/repo")), cache=git_cache)


@pytest.mark.parametrize("scheme", ["http", "git"])
async def test_nothing_listening_fails_fast_and_temporarily(git_cache: GitCache, scheme: str) -> None:
    url = parse_context_url(f"{scheme}://127.0.0.1:{free_port()}/acme/widgets")
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"unreachable: .*Connection refused"):
        await resolve_context(url, cache=git_cache)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("scheme", ["http", "git"])
async def test_a_server_that_never_answers_times_out(silent_server: SilentServer, git_cache: GitCache,
                                                     scheme: str) -> None:
    url = parse_context_url(f"{scheme}://127.0.0.1:{silent_server.port}/acme/widgets")
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"did not finish within 0\.5s"):
        await resolve_context(url, timeout=0.5, cache=git_cache)
    assert time.monotonic() - started < 1.5
