"""Reading files of one commit: how Berth reads `.gitpod.yml` or devcontainer.json before any clone."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

import pygit2
from pygit2.enums import FileMode

from domain.errors import InvalidConfig, InvalidInput
from infra.git.bounded import Job, run_bounded
from infra.git.cache import GitCache
from infra.git.commits import fetch_commit
from infra.git.progress import ProgressCallback
from infra.git.remote import RemoteSession
from infra.git.timeouts import apply_network_timeouts

_FULL_SHA = re.compile(r"[0-9a-f]{40}")


async def read_files_at(clone_url: str, commit: str, paths: Sequence[str], *, cache: GitCache | None = None,
                        timeout: float = 60, progress: ProgressCallback | None = None) -> dict[str, str]:
    """The text of each of `paths` in `commit` (a full sha), fetching the commit into the cache first
    (depth 1 where the server can). A path that is missing, a folder or a symlink is left out.

    Raises `CommitNotFound`, `RepositoryNotFound`, `Unavailable` like `resolve_context`, and
    `InvalidConfig` for a file that is not UTF-8 text.
    """
    if not _FULL_SHA.fullmatch(commit):
        raise InvalidInput(f"a commit to read from is 40 lowercase hex digits, got {commit!r}", field="commit")
    wanted = [_normalized(path) for path in paths]
    apply_network_timeouts()
    chosen = cache if cache is not None else GitCache()

    def work(job: Job) -> dict[str, str]:
        with chosen.repository(clone_url, job) as repo:
            tree = fetch_commit(RemoteSession(repo, clone_url, job), commit).tree
            return {original: text for original, path in zip(paths, wanted, strict=True)
                    if (text := _text_at(repo, tree, path)) is not None}

    return await run_bounded(work, timeout=timeout, progress=progress,
                             describe=f"reading {len(wanted)} file(s) at {commit[:12]} of {clone_url}")


def _normalized(path: str) -> str:
    normalized = posixpath.normpath(path.lstrip("/"))
    if not path or "\0" in path or normalized == "." or normalized.startswith("../") or normalized == "..":
        raise InvalidInput(f"{path!r} is not a file path inside a repository", field="paths")
    return normalized


def _text_at(repo: pygit2.Repository, tree: pygit2.Tree, path: str) -> str | None:
    try:
        entry = tree[path]
    except KeyError:
        return None
    # A symlink's blob is its target's name, not the file's content; Berth reads only regular files.
    if entry.filemode not in (FileMode.BLOB, FileMode.BLOB_EXECUTABLE):
        return None
    blob = repo[entry.id]
    assert isinstance(blob, pygit2.Blob)
    try:
        return blob.data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidConfig(f"not UTF-8 text (byte {error.start})", file=path) from None
