"""Turning libgit2's errors into Berth's typed ones (see `errors` for where the line is drawn).

libgit2 reports most failures as one `GitError` class with a message, so the message is what is
matched; the patterns are those libgit2 1.9 and the git servers (daemon, http-backend, GitHub,
GitLab) produce. Anything unmatched is `GitFailed`, carrying the original message.
"""

from __future__ import annotations

import re

import pygit2

from domain.errors import BerthError, Unavailable
from infra.git.errors import GitFailed, RepositoryNotFound

_NOT_FOUND = re.compile(
    r"status code: 404|repository not found|not exported|no such repository|does not appear to be a git repository"
    r"|could not find repository|failed to resolve path|not a git repository",
    re.IGNORECASE,
)
_NEEDS_CREDENTIALS = re.compile(r"status code: 40[13]|authentication required|permission denied", re.IGNORECASE)
# Network failures, server errors and "slow down" (HTTP 408, 429): a later attempt may well succeed.
_TEMPORARY = re.compile(
    r"failed to connect|connection refused|timed out|failed to resolve address|could not resolve|network is unreachable"
    r"|no route to host|status code: (5\d\d|408|429)|error receiving data|could not read from socket"
    r"|connection reset|early eof|unexpected eof|broken pipe|SSL error|stream error",
    re.IGNORECASE,
)


def classify(error: pygit2.GitError, clone_url: str) -> BerthError:
    message = str(error)
    if isinstance(error, pygit2.AuthError) or _NEEDS_CREDENTIALS.search(message):
        return RepositoryNotFound(clone_url, f"the server asks for credentials ({message}): the repository is "
                                             "private or does not exist")
    if isinstance(error, pygit2.CertificateError):
        return GitFailed(f"the TLS certificate of {clone_url} is not trusted: {message}")
    if _NOT_FOUND.search(message):
        return RepositoryNotFound(clone_url, message)
    if _TEMPORARY.search(message):
        return Unavailable(f"{clone_url} is unreachable: {message}")
    return GitFailed(f"git failed on {clone_url}: {message}")
