"""What kind of git host a context URL points at, and what the URL asks for."""

from __future__ import annotations

from enum import StrEnum


class HostFlavour(StrEnum):
    """The hosting software, which decides the URL forms and the refs of pull/merge requests."""

    GITHUB = "github"
    GITLAB = "gitlab"
    GITEA = "gitea"
    UNKNOWN = "unknown"


class ContextKind(StrEnum):
    """What a context URL asks for beyond the repository."""

    DEFAULT_BRANCH = "default_branch"
    TREE = "tree"
    """A branch or tag name followed by a path, as raw segments: the split is decided against the remote's refs."""
    COMMIT = "commit"
    PULL_REQUEST = "pull_request"
    MERGE_REQUEST = "merge_request"
