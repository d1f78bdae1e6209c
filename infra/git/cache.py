"""The local cache of fetched objects: one bare repository per clone URL.

Fetched commits stay under `refs/berth/...` in the cache so a later read of the same commit needs
no network. A file lock per repository serializes the processes and threads that fetch into it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pygit2

from infra.git.bounded import Job

CACHE_ENV = "BERTH_GIT_CACHE"


def default_cache_root() -> Path:
    """`$BERTH_GIT_CACHE`, else `$XDG_CACHE_HOME/berth/git`, else `~/.cache/berth/git`."""
    if configured := os.environ.get(CACHE_ENV):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "berth" / "git"


class GitCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_cache_root()

    def path_for(self, clone_url: str) -> Path:
        key = hashlib.sha256(clone_url.encode()).hexdigest()[:32]
        return self.root / f"{key}.git"

    @contextlib.contextmanager
    def repository(self, clone_url: str, job: Job) -> Iterator[pygit2.Repository]:
        """The cache repository of `clone_url`, created on first use, held under its lock."""
        path = self.path_for(clone_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path.with_suffix(".lock"), job):
            if not (path / "HEAD").exists():
                repo = pygit2.init_repository(str(path), bare=True)
                repo.config["berth.url"] = clone_url  # says whose cache this is to someone looking at the disk
            else:
                repo = pygit2.Repository(str(path))
            try:
                yield repo
            finally:
                repo.free()


@contextlib.contextmanager
def _locked(path: Path, job: Job) -> Iterator[None]:
    # Polled rather than blocking, so a caller whose deadline passed stops waiting for the lock.
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                job.check()
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
