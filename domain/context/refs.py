"""Deciding which ref a context stands for, from the ref names a remote advertises. Pure."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from domain.context.flavour import ContextKind

BRANCHES = "refs/heads/"
TAGS = "refs/tags/"
_SHA_PREFIX = re.compile(r"[0-9a-fA-F]{7,40}")


@dataclass(frozen=True)
class RefMatch:
    ref: str
    """The full ref name: `refs/heads/<branch>` or `refs/tags/<tag>`."""
    path: str | None
    """The segments after the ref name, joined; None when there are none."""


def match_tree_ref(segments: Sequence[str], ref_names: Collection[str]) -> RefMatch | None:
    """The longest branch or tag name the leading segments spell (a branch wins over a tag of the same name).

    Longest, because git cannot hold both `a` and `a/b` as branches, but a URL `tree/a/b` must still
    mean branch `a/b` over a tag `a`; the rest of the segments is the path within the repository.
    """
    for length in range(len(segments), 0, -1):
        name = "/".join(segments[:length])
        for prefix in (BRANCHES, TAGS):
            if prefix + name in ref_names:
                return RefMatch(prefix + name, "/".join(segments[length:]) or None)
    return None


def sha_prefix(segment: str) -> str | None:
    """The segment as a lowercase (possibly abbreviated) sha, if it looks like one; GitHub's
    `/tree/<sha>/<path>` puts a commit where a branch name usually is."""
    return segment.lower() if _SHA_PREFIX.fullmatch(segment) else None


def request_ref(kind: ContextKind, number: int) -> str:
    """The ref a pull request (GitHub, Gitea) or merge request (GitLab) publishes its head commit at."""
    if kind is ContextKind.MERGE_REQUEST:
        return f"refs/merge-requests/{number}/head"
    if kind is ContextKind.PULL_REQUEST:
        return f"refs/pull/{number}/head"
    raise ValueError(f"a {kind.value} context has no request ref")


def closest_names(wanted: str, names: Collection[str], limit: int = 5) -> list[str]:
    """Up to `limit` names to suggest for a mistyped one: the most similar first, then the shortest."""
    similar = difflib.get_close_matches(wanted, list(names), n=limit, cutoff=0.5)
    others = sorted((name for name in names if name not in similar), key=lambda name: (len(name), name))
    return [*similar, *others][:limit]
