"""Cloning a repository on the node (pygit2) into a local directory, with transfer progress.

The clone happens on the host, not in the workspace container: the container may lack git or the
network to reach the remote, and the node agent owns the credentials and the progress reporting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy, ResetMode

from node_agent.errors import CloneFailed, CommitNotFound
from node_agent.instance import GitSource


@dataclass(frozen=True)
class CloneStats:
    received_bytes: int
    received_objects: int
    total_objects: int


class CloneStopped(Exception):
    """Raised in the transfer callback when the caller gave up; libgit2 then aborts the fetch."""


class _Callbacks(pygit2.RemoteCallbacks):
    def __init__(self, on_stats: Callable[[CloneStats], None], stop: threading.Event) -> None:
        super().__init__()
        self.on_stats = on_stats
        self.stop = stop

    def transfer_progress(self, stats: pygit2.remotes.TransferProgress) -> None:
        if self.stop.is_set():
            raise CloneStopped
        self.on_stats(CloneStats(stats.received_bytes, stats.received_objects, stats.total_objects))


def clone(source: GitSource, into: Path, on_stats: Callable[[CloneStats], None], stop: threading.Event) -> str:
    """Clone `source` into the (absent or empty) directory `into`; returns the commit checked out."""
    callbacks = _Callbacks(on_stats, stop)
    try:
        repo = pygit2.clone_repository(source.url, into, checkout_branch=source.branch, callbacks=callbacks)
    except CloneStopped:
        raise
    except (pygit2.GitError, ValueError, KeyError) as error:
        raise CloneFailed(source.url, str(error) or type(error).__name__) from error
    if source.commit is not None:
        _check_out(repo, source)
    return str(repo.head.target)


def _check_out(repo: pygit2.Repository, source: GitSource) -> None:
    assert source.commit is not None
    try:
        commit = repo.revparse_single(source.commit).peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        raise CommitNotFound(source.url, source.commit) from None
    if commit.id == repo.head.target:
        return
    if source.branch is not None:
        # The branch was resolved to this commit when the workspace started: the branch stays
        # checked out (so `git pull` works), pointing where the context said.
        repo.reset(commit.id, ResetMode.HARD)
    else:
        repo.checkout_tree(commit, strategy=CheckoutStrategy.FORCE)  # type: ignore[no-untyped-call]
        repo.set_head(commit.id)
