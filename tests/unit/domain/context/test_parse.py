"""Parsing context URLs: every supported form, and the canonical clone URL each names."""

from __future__ import annotations

from typing import Any

import pytest

from domain.context import ContextKind, ContextUrl, HostFlavour, parse_context_url

K, F = ContextKind, HostFlavour
SHA = "0123456789abcdef0123456789abcdef01234567"


def context(clone_url: str, kind: ContextKind, flavour: HostFlavour, **fields: Any) -> ContextUrl:
    return ContextUrl(clone_url=clone_url, kind=kind, flavour=flavour, **fields)


GH = "https://github.com/o/r.git"
GL = "https://gitlab.com/g/sub/r.git"
GT = "https://gitea.com/o/r.git"
LOCAL = "http://127.0.0.1:8080/owner/repo"

CASES: list[tuple[str, ContextUrl]] = [
    # repositories of every scheme
    ("https://github.com/o/r", context(GH, K.DEFAULT_BRANCH, F.GITHUB)),
    ("https://github.com/o/r.git", context(GH, K.DEFAULT_BRANCH, F.GITHUB)),
    ("https://github.com/o/r/", context(GH, K.DEFAULT_BRANCH, F.GITHUB)),
    ("HTTPS://GitHub.COM:443/o/r?tab=readme#top", context(GH, K.DEFAULT_BRANCH, F.GITHUB)),
    ("  https://github.com/o/r\n", context(GH, K.DEFAULT_BRANCH, F.GITHUB)),
    ("https://gitlab.com/g/sub/r", context(GL, K.DEFAULT_BRANCH, F.GITLAB)),
    ("https://gitea.com/o/r", context(GT, K.DEFAULT_BRANCH, F.GITEA)),
    ("https://git.example.com/a/b/c.git", context("https://git.example.com/a/b/c.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("https://git.example.com/r", context("https://git.example.com/r", K.DEFAULT_BRANCH, F.UNKNOWN)),
    (LOCAL, context(LOCAL, K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("http://localhost/o/r", context("http://localhost/o/r", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("http://[::1]:9/o/r", context("http://[::1]:9/o/r", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("http://127.1.2.3:80/o/r", context("http://127.1.2.3/o/r", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("ssh://git@github.com/o/r.git", context("ssh://git@github.com/o/r.git", K.DEFAULT_BRANCH, F.GITHUB)),
    ("ssh://git@Host.example:22/o/r.git", context("ssh://git@host.example/o/r.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("ssh://host.example:2222/~/r.git", context("ssh://host.example:2222/~/r.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("git@github.com:o/r.git", context("git@github.com:o/r.git", K.DEFAULT_BRANCH, F.GITHUB)),
    ("git@gitlab.com:g/sub/r.git", context("git@gitlab.com:g/sub/r.git", K.DEFAULT_BRANCH, F.GITLAB)),
    ("deploy@host.example:/srv/git/r.git", context("deploy@host.example:/srv/git/r.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("git@[::1]:o/r.git", context("git@[::1]:o/r.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("git://127.0.0.1:9418/o/r.git", context("git://127.0.0.1/o/r.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("git://host.example:1234/o/r", context("git://host.example:1234/o/r", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("file:///srv/git/r.git", context("file:///srv/git/r.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("file://localhost/srv/git/r.git/", context("file:///srv/git/r.git", K.DEFAULT_BRANCH, F.UNKNOWN)),
    # GitHub
    ("https://github.com/o/r/tree/main", context(GH, K.TREE, F.GITHUB, ref_segments=("main",))),
    ("https://github.com/o/r/tree/feature/with-slash/src/app",
     context(GH, K.TREE, F.GITHUB, ref_segments=("feature", "with-slash", "src", "app"))),
    ("https://github.com/o/r/blob/main/README.md", context(GH, K.TREE, F.GITHUB, ref_segments=("main", "README.md"))),
    ("https://github.com/o/r.git/tree/main/", context(GH, K.TREE, F.GITHUB, ref_segments=("main",))),
    ("https://github.com/o/r/tree/feat%2Fx/My%20Docs",
     context(GH, K.TREE, F.GITHUB, ref_segments=("feat", "x", "My Docs"))),
    ("https://github.com/o/r/tree/caf%C3%A9", context(GH, K.TREE, F.GITHUB, ref_segments=("café",))),
    ("https://github.com/o/r/tree/café", context(GH, K.TREE, F.GITHUB, ref_segments=("café",))),
    ("https://github.com/o/r/tree/v1.0%2B1", context(GH, K.TREE, F.GITHUB, ref_segments=("v1.0+1",))),
    (f"https://github.com/o/r/commit/{SHA}", context(GH, K.COMMIT, F.GITHUB, commit=SHA)),
    (f"https://github.com/o/r/commit/{SHA.upper()}", context(GH, K.COMMIT, F.GITHUB, commit=SHA)),
    ("https://github.com/o/r/commit/abc1234", context(GH, K.COMMIT, F.GITHUB, commit="abc1234")),
    ("https://github.com/o/r/pull/12", context(GH, K.PULL_REQUEST, F.GITHUB, number=12)),
    ("https://github.com/o/r/pull/12/files", context(GH, K.PULL_REQUEST, F.GITHUB, number=12)),
    # GitLab
    ("https://gitlab.com/g/sub/r/-/tree/feature/x", context(GL, K.TREE, F.GITLAB, ref_segments=("feature", "x"))),
    ("https://gitlab.com/g/sub/r/-/blob/main/a.md", context(GL, K.TREE, F.GITLAB, ref_segments=("main", "a.md"))),
    (f"https://gitlab.com/g/sub/r/-/commit/{SHA}", context(GL, K.COMMIT, F.GITLAB, commit=SHA)),
    ("https://gitlab.com/g/sub/r/-/merge_requests/3", context(GL, K.MERGE_REQUEST, F.GITLAB, number=3)),
    ("https://gitlab.com/g/sub/r/-/merge_requests/3/diffs", context(GL, K.MERGE_REQUEST, F.GITLAB, number=3)),
    # Gitea
    ("https://gitea.com/o/r/src/branch/feature/x", context(GT, K.TREE, F.GITEA, ref_segments=("feature", "x"))),
    ("https://gitea.com/o/r/src/tag/v1.0", context(GT, K.TREE, F.GITEA, ref_segments=("v1.0",))),
    (f"https://gitea.com/o/r/src/commit/{SHA}", context(GT, K.COMMIT, F.GITEA, commit=SHA)),
    (f"https://gitea.com/o/r/src/commit/{SHA}/docs/a.md", context(GT, K.COMMIT, F.GITEA, commit=SHA, path="docs/a.md")),
    (f"https://gitea.com/o/r/commit/{SHA}", context(GT, K.COMMIT, F.GITEA, commit=SHA)),
    ("https://gitea.com/o/r/pulls/4", context(GT, K.PULL_REQUEST, F.GITEA, number=4)),
    # other hosts: the flavour is the one the path form reveals
    (f"{LOCAL}/tree/feature/with-slash", context(LOCAL, K.TREE, F.GITHUB, ref_segments=("feature", "with-slash"))),
    (f"{LOCAL}/pull/1", context(LOCAL, K.PULL_REQUEST, F.GITHUB, number=1)),
    (f"{LOCAL}/commit/{SHA}", context(LOCAL, K.COMMIT, F.UNKNOWN, commit=SHA)),
    (f"{LOCAL}/-/tree/main", context(LOCAL, K.TREE, F.GITLAB, ref_segments=("main",))),
    (f"{LOCAL}/-/commit/{SHA}", context(LOCAL, K.COMMIT, F.GITLAB, commit=SHA)),
    (f"{LOCAL}/-/merge_requests/2", context(LOCAL, K.MERGE_REQUEST, F.GITLAB, number=2)),
    (f"{LOCAL}/src/branch/main", context(LOCAL, K.TREE, F.GITEA, ref_segments=("main",))),
    (f"{LOCAL}/src/commit/{SHA}/x", context(LOCAL, K.COMMIT, F.GITEA, commit=SHA, path="x")),
    (f"{LOCAL}/pulls/7", context(LOCAL, K.PULL_REQUEST, F.GITEA, number=7)),
    ("https://git.example.com/group/sub/project/-/tree/main",
     context("https://git.example.com/group/sub/project", K.TREE, F.GITLAB, ref_segments=("main",))),
    ("https://git.example.com/r/pull/1", context("https://git.example.com/r/pull/1", K.DEFAULT_BRANCH, F.UNKNOWN)),
    ("https://git.example.com/r/-/merge_requests/1",
     context("https://git.example.com/r", K.MERGE_REQUEST, F.GITLAB, number=1)),
    ("https://example.com/gitea/o/r/src/branch/main",
     context("https://example.com/gitea/o/r", K.TREE, F.GITEA, ref_segments=("main",))),
    # a host that is no known one keeps the segment named like a keyword where no form can start
    ("https://git.example.com/o/tree", context("https://git.example.com/o/tree", K.DEFAULT_BRANCH, F.UNKNOWN)),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text.strip() for text, _ in CASES])
def test_parses(text: str, expected: ContextUrl) -> None:
    assert parse_context_url(text) == expected


@pytest.mark.parametrize(("text", "hint"), [
    ("https://github.com/o/r", "HEAD"),
    ("https://github.com/o/r/tree/feature/x/docs", "feature/x/docs"),
    (f"https://github.com/o/r/commit/{SHA}", SHA),
    ("https://github.com/o/r/pull/5", "refs/pull/5/head"),
    ("https://gitea.com/o/r/pulls/5", "refs/pull/5/head"),
    ("https://gitlab.com/g/r/-/merge_requests/5", "refs/merge-requests/5/head"),
])
def test_the_ref_hint_says_what_the_remote_is_asked_for(text: str, hint: str) -> None:
    assert parse_context_url(text).ref_hint == hint
