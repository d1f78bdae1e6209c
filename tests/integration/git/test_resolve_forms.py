"""Every context URL form, parsed and resolved against real git servers."""

from __future__ import annotations

import pytest

from domain.context import ResolvedContext, parse_context_url
from infra.git import GitCache, resolve_context
from tests.gitserver import GitDaemon, Seeded, SmartHttpServer
from tests.integration.git.conftest import Scratch


async def resolve(url: str, cache: GitCache) -> ResolvedContext:
    return await resolve_context(parse_context_url(url), cache=cache)


# (path after the repository URL, expected ref, name of the Widgets sha, expected path)
WEB_FORMS = [
    ("", "refs/heads/main", "main", None),
    ("/tree/main", "refs/heads/main", "main", None),
    ("/tree/feature/with-slash", "refs/heads/feature/with-slash", "feature", None),
    ("/tree/feature/with-slash/src", "refs/heads/feature/with-slash", "feature", "src"),
    ("/blob/feature/with-slash/src/app.py", "refs/heads/feature/with-slash", "feature", "src/app.py"),
    ("/tree/feature/with/docs", "refs/heads/feature/with", "first", "docs"),
    ("/tree/feature%2Fwith-slash", "refs/heads/feature/with-slash", "feature", None),
    ("/tree/v1.0", "refs/tags/v1.0", "first", None),
    ("/tree/light/docs/guide.md", "refs/tags/light", "main", "docs/guide.md"),
    ("/pull/1", "refs/pull/1/head", "pull", None),
    ("/pull/1/files", "refs/pull/1/head", "pull", None),
    ("/-/tree/feature/with-slash/src", "refs/heads/feature/with-slash", "feature", "src"),
    ("/-/blob/main/README.md", "refs/heads/main", "main", "README.md"),
    ("/-/merge_requests/2", "refs/merge-requests/2/head", "merge_request", None),
    ("/src/branch/feature/with-slash", "refs/heads/feature/with-slash", "feature", None),
    ("/src/tag/v1.0", "refs/tags/v1.0", "first", None),
    ("/pulls/1", "refs/pull/1/head", "pull", None),
]


@pytest.mark.parametrize(("form", "ref", "commit", "path"), WEB_FORMS)
async def test_web_forms_over_smart_http(git_http: SmartHttpServer, seeded: Seeded, git_cache: GitCache, form: str,
                                         ref: str, commit: str, path: str | None) -> None:
    resolved = await resolve(git_http.url("acme/widgets") + form, git_cache)
    assert resolved == ResolvedContext(clone_url=git_http.url("acme/widgets"), ref=ref,
                                       commit=getattr(seeded.widgets, commit), path=path)


@pytest.mark.parametrize("form", ["/commit/{sha}", "/-/commit/{sha}", "/src/commit/{sha}", "/tree/{sha}"])
async def test_commit_forms_over_smart_http(git_http: SmartHttpServer, seeded: Seeded, git_cache: GitCache,
                                            form: str) -> None:
    # `pull` is the tip of no branch: only a fetch by sha finds it.
    sha = seeded.widgets.pull
    resolved = await resolve(git_http.url("acme/widgets") + form.format(sha=sha), git_cache)
    assert resolved == ResolvedContext(clone_url=git_http.url("acme/widgets"), ref=None, commit=sha)


async def test_a_gitea_commit_url_keeps_its_path(git_http: SmartHttpServer, seeded: Seeded,
                                                 git_cache: GitCache) -> None:
    sha = seeded.widgets.main
    resolved = await resolve(f"{git_http.url('acme/widgets')}/src/commit/{sha}/docs/guide.md", git_cache)
    assert (resolved.commit, resolved.path, resolved.ref) == (sha, "docs/guide.md", None)


async def test_a_sha_in_place_of_a_branch_keeps_the_path(git_http: SmartHttpServer, seeded: Seeded,
                                                         git_cache: GitCache) -> None:
    resolved = await resolve(f"{git_http.url('acme/widgets')}/tree/{seeded.widgets.feature[:10]}/src", git_cache)
    assert (resolved.commit, resolved.path, resolved.ref) == (seeded.widgets.feature, "src", None)


async def test_the_clone_url_with_dot_git_works_too(git_http: SmartHttpServer, seeded: Seeded,
                                                    git_cache: GitCache) -> None:
    resolved = await resolve(git_http.url("acme/widgets") + ".git/tree/feature/with-slash", git_cache)
    assert (resolved.clone_url, resolved.commit) == (git_http.url("acme/widgets") + ".git", seeded.widgets.feature)


async def test_localhost_names_the_same_server(git_http: SmartHttpServer, seeded: Seeded, git_cache: GitCache) -> None:
    resolved = await resolve(f"http://localhost:{git_http.port}/acme/widgets/tree/main", git_cache)
    assert resolved.commit == seeded.widgets.main


async def test_default_branch_over_git_protocol(git_daemon: GitDaemon, seeded: Seeded, git_cache: GitCache) -> None:
    resolved = await resolve(git_daemon.url("acme/widgets"), git_cache)
    assert resolved == ResolvedContext(clone_url=git_daemon.url("acme/widgets"), ref="refs/heads/main",
                                       commit=seeded.widgets.main)


async def test_default_branch_over_a_file_url(seeded: Seeded, git_cache: GitCache) -> None:
    url = f"file://{seeded.root}/acme/widgets.git"
    assert await resolve(url, git_cache) == ResolvedContext(clone_url=url, ref="refs/heads/main",
                                                            commit=seeded.widgets.main)


@pytest.mark.parametrize("server", ["http", "daemon", "file"])
async def test_the_default_branch_is_what_head_names(git_http: SmartHttpServer, git_daemon: GitDaemon, seeded: Seeded,
                                                     git_cache: GitCache, server: str) -> None:
    url = {"http": git_http.url("acme/trunk"), "daemon": git_daemon.url("acme/trunk"),
           "file": f"file://{seeded.root}/acme/trunk.git"}[server]
    resolved = await resolve(url, git_cache)
    assert (resolved.ref, resolved.commit) == ("refs/heads/trunk", seeded.trunk)


async def test_a_moved_branch_resolves_to_its_new_tip(git_http: SmartHttpServer, scratch: Scratch,
                                                      git_cache: GitCache) -> None:
    first = scratch.repo.commit("main", {"a.txt": "1\n"})
    url = git_http.url(scratch.name) + "/tree/main"
    assert (await resolve(url, git_cache)).commit == first
    second = scratch.repo.commit("main", {"a.txt": "2\n"})
    assert (await resolve(url, git_cache)).commit == second
