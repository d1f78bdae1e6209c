"""A commit's files written out to a directory: the build context of a workspace image."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from pygit2.enums import CheckoutStrategy

from domain.errors import InvalidInput
from infra.git.bounded import Job, run_bounded
from infra.git.cache import GitCache
from infra.git.commits import fetch_commit
from infra.git.progress import ProgressCallback
from infra.git.remote import RemoteSession
from infra.git.timeouts import apply_network_timeouts


async def checkout_commit(clone_url: str, commit: str, destination: Path, *, cache: GitCache | None = None,
                          timeout: float = 300, progress: ProgressCallback | None = None) -> None:
    """Write the files of `commit` into the empty directory `destination` (modes and symlinks as stored;
    a symlink stays a link, whatever it points at, and is never followed)."""
    if len(commit) != 40:
        raise InvalidInput(f"a commit to check out is a full sha, got {commit!r}", field="commit")
    apply_network_timeouts()
    chosen = cache if cache is not None else GitCache()

    def work(job: Job) -> None:
        with chosen.repository(clone_url, job) as repo:
            tree = fetch_commit(RemoteSession(repo, clone_url, job), commit).tree
            # pygit2 ships checkout_tree without annotations.
            repo.checkout_tree(tree, directory=str(destination),  # type: ignore[no-untyped-call]
                               strategy=CheckoutStrategy.FORCE)

    await run_bounded(work, timeout=timeout, progress=progress,
                      describe=f"checking out {commit[:12]} of {clone_url}")


@contextlib.asynccontextmanager
async def checked_out(clone_url: str, commit: str, *, cache: GitCache | None = None) -> AsyncIterator[Path]:
    """The commit checked out into a temporary directory, removed when the block ends."""
    root = Path(tempfile.mkdtemp(prefix="berth-checkout-"))
    try:
        await checkout_commit(clone_url, commit, root, cache=cache)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)



