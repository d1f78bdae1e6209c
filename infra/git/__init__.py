"""Git remotes through pygit2: resolving context URLs to commits and reading files of a commit.

Blocking libgit2 work runs in threads under a deadline (`bounded`); fetched objects are kept in a
bare repository per clone URL (`GitCache`). Failures are typed: see `infra.git.errors`.
"""

from infra.git.cache import GitCache, default_cache_root
from infra.git.errors import CommitNotFound, GitFailed, RefNotFound, RepositoryNotFound, RequestNotFound
from infra.git.files import read_files_at
from infra.git.progress import FetchProgress, ProgressCallback
from infra.git.resolve import resolve_context

__all__ = [
    "CommitNotFound",
    "FetchProgress",
    "GitCache",
    "GitFailed",
    "ProgressCallback",
    "RefNotFound",
    "RepositoryNotFound",
    "RequestNotFound",
    "default_cache_root",
    "read_files_at",
    "resolve_context",
]
