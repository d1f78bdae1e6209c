"""Paths in a config file, normalized so that two spellings of one file compare equal.

Config files name files of the repository (a Dockerfile, a build context) and places under
`/workspace` (checkout and IDE locations). The image cache key hashes these paths, so
`./.gitpod.Dockerfile` and `.gitpod.Dockerfile` must become the same string, and a path must not be
able to point outside the repository (`../../etc`) where the builder would read the host.
"""

from __future__ import annotations

import posixpath

WORKSPACE_ROOT = "/workspace"
"""Where a workspace's content lives inside the container; Gitpod's locations are relative to it."""


def is_normalized_relative(path: str) -> bool:
    """True for `.`, `a`, `a/b`; false for absolute, `..`-escaping, `./a`, `a//b`, `a/` or empty."""
    if not path or "\0" in path or path.startswith("/"):
        return False
    if path == ".." or path.startswith("../"):
        return False
    return posixpath.normpath(path) == path


def join_relative(base: str, path: str) -> str:
    """`path` taken relative to the folder `base` (itself normalized, `.` for the root), normalized.

    Raises ValueError with the reason when the path is empty, absolute or leaves the root.
    """
    if not path:
        raise ValueError("must not be empty")
    if "\0" in path:
        raise ValueError("must not contain a NUL character")
    if path.startswith("/"):
        raise ValueError(f"must be a relative path, got {path!r}")
    joined = posixpath.normpath(posixpath.join(base, path))
    if joined == ".." or joined.startswith("../"):
        raise ValueError(f"points outside the repository: {path!r}")
    return joined


def workspace_relative(path: str) -> str:
    """A location under `/workspace`, relative to it: `go/src/x` stays, `/workspace/x` becomes `x`.

    Raises ValueError when the path is elsewhere in the container or leaves `/workspace`.
    """
    if path == WORKSPACE_ROOT or path == WORKSPACE_ROOT + "/":
        return "."
    if path.startswith(WORKSPACE_ROOT + "/"):
        path = path[len(WORKSPACE_ROOT) + 1 :]
    elif path.startswith("/"):
        raise ValueError(f"must be under {WORKSPACE_ROOT}, got {path!r}")
    try:
        return join_relative(".", path)
    except ValueError:
        raise ValueError(f"must stay under {WORKSPACE_ROOT}, got {path!r}") from None
