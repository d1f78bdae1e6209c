"""The ContextUrl model's invariants: only what some URL can spell is a valid ContextUrl."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from domain.context import ContextKind, ContextUrl, HostFlavour, ResolvedContext

K, F = ContextKind, HostFlavour
SHA = "0123456789abcdef0123456789abcdef01234567"
LOCAL = "http://127.0.0.1:8080/o/r"

INVALID: list[tuple[dict[str, Any], str]] = [
    ({"clone_url": LOCAL, "kind": K.TREE, "flavour": F.GITHUB}, "a tree context needs ref_segments"),
    ({"clone_url": LOCAL, "kind": K.DEFAULT_BRANCH, "flavour": F.UNKNOWN, "number": 3}, "has no number"),
    ({"clone_url": LOCAL, "kind": K.COMMIT, "flavour": F.UNKNOWN, "commit": "XYZ"}, "should match pattern"),
    ({"clone_url": LOCAL, "kind": K.PULL_REQUEST, "flavour": F.GITHUB, "number": 0}, "greater than or equal to 1"),
    ({"clone_url": LOCAL, "kind": K.TREE, "flavour": F.GITHUB, "ref_segments": ("a/b",)}, "containing '/'"),
    ({"clone_url": LOCAL, "kind": K.TREE, "flavour": F.GITHUB, "ref_segments": ("..",)}, "'..'"),
    ({"clone_url": LOCAL, "kind": K.COMMIT, "flavour": F.UNKNOWN, "commit": SHA, "path": "x"},
     "only a Gitea commit context"),
    ({"clone_url": LOCAL, "kind": K.COMMIT, "flavour": F.GITEA, "commit": SHA, "path": "a//b"}, "empty segment"),
    ({"clone_url": "https://github.com/o/r", "kind": K.DEFAULT_BRANCH, "flavour": F.GITHUB}, "not canonical"),
    ({"clone_url": "https://github.com/o/r.git", "kind": K.DEFAULT_BRANCH, "flavour": F.UNKNOWN}, "github host"),
    ({"clone_url": "https://github.com/o/r.git", "kind": K.MERGE_REQUEST, "flavour": F.GITHUB, "number": 1},
     "github host"),
    ({"clone_url": LOCAL, "kind": K.DEFAULT_BRANCH, "flavour": F.GITHUB}, "no github URL form spells"),
    ({"clone_url": LOCAL, "kind": K.TREE, "flavour": F.UNKNOWN, "ref_segments": ("main",)}, "no unknown URL form"),
    ({"clone_url": LOCAL, "kind": K.MERGE_REQUEST, "flavour": F.GITHUB, "number": 1}, "no github URL form"),
    ({"clone_url": "http://127.0.0.1/a/b/tree", "kind": K.DEFAULT_BRANCH, "flavour": F.UNKNOWN},
     "contains a web form keyword"),
    ({"clone_url": "http://127.0.0.1/r", "kind": K.PULL_REQUEST, "flavour": F.GITHUB, "number": 1},
     "needs a repository path of at least 2 segments"),
    ({"clone_url": "git://h.example/o/r", "kind": K.TREE, "flavour": F.UNKNOWN, "ref_segments": ("main",)},
     "names only the default branch"),
    ({"clone_url": "ftp://h/o/r", "kind": K.DEFAULT_BRANCH, "flavour": F.UNKNOWN}, "unsupported scheme"),
    ({"clone_url": LOCAL, "kind": K.DEFAULT_BRANCH, "flavour": F.UNKNOWN, "extra": 1}, "Extra inputs"),
]


@pytest.mark.parametrize(("fields", "message"), INVALID, ids=[message for _, message in INVALID])
def test_invalid_models_are_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        ContextUrl(**fields)


def test_a_context_url_is_frozen_and_hashable() -> None:
    url = ContextUrl(clone_url=LOCAL, kind=K.PULL_REQUEST, flavour=F.GITEA, number=2)
    with pytest.raises(ValidationError):
        url.number = 3  # type: ignore[misc]
    assert {url, ContextUrl(clone_url=LOCAL, kind=K.PULL_REQUEST, flavour=F.GITEA, number=2)} == {url}


def test_a_context_url_survives_json() -> None:
    url = ContextUrl(clone_url=LOCAL, kind=K.TREE, flavour=F.GITLAB, ref_segments=("a", "b c"))
    assert ContextUrl.model_validate_json(url.model_dump_json()) == url


def test_a_resolved_context_has_a_full_sha() -> None:
    resolved = ResolvedContext(clone_url=LOCAL, ref="refs/heads/main", commit=SHA, path="docs")
    assert resolved.commit_verified
    with pytest.raises(ValidationError, match="40 lowercase hex digits"):
        ResolvedContext(clone_url=LOCAL, ref=None, commit=SHA[:7])
    with pytest.raises(ValidationError, match=r"'\.\.'"):
        ResolvedContext(clone_url=LOCAL, ref=None, commit=SHA, path="../x")
