"""Choosing the ref a `/tree/...` URL meant, from the names a remote advertises."""

from __future__ import annotations

import pytest

from domain.context import ContextKind, RefMatch, closest_names, match_tree_ref, request_ref, sha_prefix

REFS = {
    "HEAD", "refs/heads/main", "refs/heads/feature/with", "refs/heads/feature/with-slash", "refs/tags/v1.0",
    "refs/tags/main", "refs/tags/release", "refs/heads/release/2024/q1", "refs/pull/1/head",
}


@pytest.mark.parametrize(("segments", "expected"), [
    (("main",), RefMatch("refs/heads/main", None)),
    (("main", "docs", "a.md"), RefMatch("refs/heads/main", "docs/a.md")),
    (("feature", "with-slash"), RefMatch("refs/heads/feature/with-slash", None)),
    (("feature", "with-slash", "src"), RefMatch("refs/heads/feature/with-slash", "src")),
    (("feature", "with", "src"), RefMatch("refs/heads/feature/with", "src")),
    (("v1.0", "x"), RefMatch("refs/tags/v1.0", "x")),
    (("release", "2024", "q1", "notes"), RefMatch("refs/heads/release/2024/q1", "notes")),
    (("release", "2024", "q2"), RefMatch("refs/tags/release", "2024/q2")),
    (("feature",), None),
    (("pull", "1", "head"), None),
    (("HEAD",), None),
    (("nope", "main"), None),
])
def test_the_longest_branch_or_tag_wins(segments: tuple[str, ...], expected: RefMatch | None) -> None:
    assert match_tree_ref(segments, REFS) == expected


def test_a_branch_wins_over_a_tag_of_the_same_name() -> None:
    assert match_tree_ref(("main",), REFS) == RefMatch("refs/heads/main", None)


@pytest.mark.parametrize(("segment", "expected"), [
    ("abcdef0", "abcdef0"), ("ABCDEF0123", "abcdef0123"), ("a" * 40, "a" * 40),
    ("abcdef", None), ("a" * 41, None), ("main", None), ("abcdefg", None),
])
def test_sha_prefix(segment: str, expected: str | None) -> None:
    assert sha_prefix(segment) == expected


def test_request_refs() -> None:
    assert request_ref(ContextKind.PULL_REQUEST, 4) == "refs/pull/4/head"
    assert request_ref(ContextKind.MERGE_REQUEST, 4) == "refs/merge-requests/4/head"
    with pytest.raises(ValueError, match="no request ref"):
        request_ref(ContextKind.TREE, 4)


def test_closest_names_puts_similar_names_first() -> None:
    names = ["main", "develop", "feature/with-slash", "feature/with", "a", "b", "c"]
    assert closest_names("feature/with-slahs", names)[:2] == ["feature/with-slash", "feature/with"]
    assert closest_names("zzz", names, limit=3) == ["a", "b", "c"]
    assert closest_names("x", []) == []
