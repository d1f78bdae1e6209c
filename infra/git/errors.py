"""Typed failures of talking to a git remote.

The line between temporary and permanent: when the server could not be reached or answered with a
server error (refused connection, DNS failure, timeout, HTTP 5xx), the failure is `Unavailable` and
retried, because Berth cannot tell an outage from a typo. When the server answered and said no
(HTTP 404/401/403, git daemon's "not exported", a missing path, no such ref or commit), the failure
is permanent and a `NotFound` too, so the API answers 404 and a worker parks the event.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.errors import NotFound, PermanentError


class RepositoryNotFound(PermanentError, NotFound):
    """The server says the repository is not there, or that it needs credentials Berth does not have."""

    def __init__(self, clone_url: str, reason: str) -> None:
        super().__init__(f"repository {clone_url} not found: {reason}")
        self.clone_url = clone_url
        self.reason = reason


class RefNotFound(PermanentError, NotFound):
    """No branch or tag of the repository has the wanted name (or the repository has no default branch)."""

    def __init__(self, clone_url: str, wanted: str, available: Sequence[str], message: str | None = None) -> None:
        if message is None:
            listed = ", ".join(available) if available else "none"
            message = f"no branch or tag {wanted!r} in {clone_url}; branches include: {listed}"
        super().__init__(message)
        self.clone_url = clone_url
        self.wanted = wanted
        self.available = tuple(available)


class CommitNotFound(PermanentError, NotFound):
    def __init__(self, clone_url: str, sha: str, reason: str) -> None:
        super().__init__(f"commit {sha} not found in {clone_url}: {reason}")
        self.clone_url = clone_url
        self.sha = sha
        self.reason = reason


class RequestNotFound(PermanentError, NotFound):
    """A pull request (GitHub, Gitea) or merge request (GitLab) the repository does not publish."""

    def __init__(self, clone_url: str, noun: str, number: int, ref: str) -> None:
        super().__init__(f"{noun} #{number} not found in {clone_url}: the server has no {ref}")
        self.clone_url = clone_url
        self.number = number
        self.ref = ref


class GitFailed(PermanentError):
    """The remote answered with an error Berth does not know to be temporary; the git message says why."""
