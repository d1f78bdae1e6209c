"""One conversation with a remote, through an anonymous remote of the cache repository."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import pygit2

from domain.context.refs import BRANCHES
from domain.errors import Unavailable
from infra.git.bounded import Job
from infra.git.errors import RepositoryNotFound
from infra.git.failures import classify
from infra.git.progress import FetchProgress

T = TypeVar("T")
UNSHALLOW = 2**31 - 1
"""libgit2's depth value for "fetch everything the shallow boundary hides" (GIT_FETCH_DEPTH_UNSHALLOW)."""
_PEELED = "^{}"
_CANNOT_WANT_SHA = "cannot fetch a specific object"
# A connection that broke after the request was sent: either the server hung up on a want it refused
# (git daemon does that), or the network broke. Only a fetch of the history can tell which.
_INTERRUPTED = re.compile(r"connection reset|error receiving data|early eof|unexpected eof|broken pipe", re.IGNORECASE)


@dataclass(frozen=True)
class RemoteRefs:
    commits: Mapping[str, str]
    """Every advertised ref → the sha it points at; an annotated tag → the commit it peels to."""
    head: str | None
    """The sha of HEAD, None for an empty repository (or a HEAD naming a branch that does not exist)."""
    head_target: str | None
    """The branch HEAD names, when the server says (every smart server does)."""

    @property
    def branches(self) -> list[str]:
        return sorted(name.removeprefix(BRANCHES) for name in self.commits if name.startswith(BRANCHES))

    def default_branch(self) -> str | None:
        """The full ref of the default branch: HEAD's symref, else a branch at HEAD's commit (main first)."""
        if self.head_target is not None and self.head_target in self.commits:
            return self.head_target
        at_head = sorted(name for name, sha in self.commits.items() if name.startswith(BRANCHES) and sha == self.head)
        preferred = [name for name in (f"{BRANCHES}main", f"{BRANCHES}master") if name in at_head]
        candidates = preferred or at_head
        return candidates[0] if candidates else None


class FetchOutcome(enum.Enum):
    FETCHED = "fetched"
    UNSUPPORTED = "unsupported"
    """The server does not let clients fetch a commit by its sha (plain `git daemon`'s default)."""
    REFUSED = "refused"
    """The server would fetch by sha but refused this one: it does not have it (or not reachably)."""
    INTERRUPTED = "interrupted"
    """The connection broke after the request: refused, or a network failure; only the history can tell."""


class _Callbacks(pygit2.RemoteCallbacks):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job

    def transfer_progress(self, stats: pygit2.remotes.TransferProgress) -> None:
        self._job.check()
        self._job.report(FetchProgress(received_objects=stats.received_objects, indexed_objects=stats.indexed_objects,
                                       total_objects=stats.total_objects, received_bytes=stats.received_bytes))

    def sideband_progress(self, string: str) -> None:
        self._job.check()


class RemoteSession:
    def __init__(self, repo: pygit2.Repository, clone_url: str, job: Job) -> None:
        self.repo = repo
        self.clone_url = clone_url
        self._remote = repo.remotes.create_anonymous(clone_url)
        self._callbacks = _Callbacks(job)
        self._job = job
        # libgit2's local transport (file://) copies objects and cannot make a shallow fetch.
        self._depth = 0 if clone_url.startswith("file://") else 1

    def list_refs(self) -> RemoteRefs:
        heads = self._network(lambda: self._remote.list_heads(callbacks=self._callbacks))
        commits: dict[str, str] = {}
        head = head_target = None
        for entry in heads:
            if entry.name is None:
                continue
            if entry.name == "HEAD":
                head, head_target = str(entry.oid), entry.symref_target
            elif not entry.name.endswith(_PEELED):
                commits.setdefault(entry.name, str(entry.oid))
        for entry in heads:
            if entry.name is not None and entry.name.endswith(_PEELED):
                commits[entry.name.removesuffix(_PEELED)] = str(entry.oid)
        return RemoteRefs(commits, head, head_target)

    def fetch_object(self, sha: str) -> FetchOutcome:
        """Fetches one commit by its full sha (shallowly where the transport can), keeping a ref to it."""
        self._job.check()
        try:
            self._remote.fetch([f"+{sha}:refs/berth/commits/{sha}"], callbacks=self._callbacks, depth=self._depth)
        except pygit2.GitError as error:
            message = str(error)
            if _CANNOT_WANT_SHA in message:
                return FetchOutcome.UNSUPPORTED
            if _INTERRUPTED.search(message):
                return FetchOutcome.INTERRUPTED
            typed = classify(error, self.clone_url)
            if isinstance(typed, Unavailable | RepositoryNotFound):
                raise typed from None
            return FetchOutcome.REFUSED
        return FetchOutcome.FETCHED

    def fetch_history(self) -> None:
        """Fetches every branch and tag with its whole history (undoing earlier shallow fetches)."""
        self._job.check()
        depth = UNSHALLOW if self.repo.is_shallow else 0
        refspecs = [f"+{BRANCHES}*:refs/berth/heads/*", "+refs/tags/*:refs/berth/tags/*"]
        self._network(lambda: self._remote.fetch(refspecs, callbacks=self._callbacks, depth=depth))

    def local_commit(self, sha: str) -> pygit2.Commit | None:
        """The commit with this full sha or unambiguous prefix if the cache has it.

        Raises `pygit2.AmbiguousError` when a prefix names several objects.
        """
        try:
            found = self.repo[self.repo.expand_id(sha)] if len(sha) < 40 else self.repo.get(sha)
        except KeyError:
            return None
        return found if isinstance(found, pygit2.Commit) else None

    def _network(self, call: Callable[[], T]) -> T:
        self._job.check()
        try:
            return call()
        except pygit2.GitError as error:
            raise classify(error, self.clone_url) from None
