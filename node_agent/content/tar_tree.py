"""A directory tree as a tar byte stream, produced lazily: a 1 GB file passes through in 1 MiB
chunks, never whole in memory, and no pipe, thread or temp file is needed.

Only headers come from `tarfile` (PAX format: long names, large files, any file name bytes); file
data is read and yielded here, so the stream can be fed straight to the engine's `put_archive`.
Entries keep their modes and mtimes, symlinks stay symlinks (their targets are never followed on
this host: a link to /etc/passwd in a repository means the container's /etc/passwd), and every
entry gets the owner given, so the workspace user owns its files inside the container.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK = tarfile.BLOCKSIZE
CHUNK = 1 << 20
END_OF_ARCHIVE = b"\0" * (2 * BLOCK)


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int
    user: str
    group: str


WORKSPACE_OWNER = Owner(33333, 33333, "berth", "berth")


class TreeChanged(Exception):
    """A file changed size while it was archived; the archive would be wrong, so it is abandoned."""


def directory_entries(names: Iterable[str], owner: Owner, mode: int = 0o755) -> Iterator[bytes]:
    """Header-only entries for directories (the parents of where a tree is placed)."""
    for name in names:
        info = _info(name, owner)
        info.type = tarfile.DIRTYPE
        info.mode = mode
        yield _header(info)


def file_entry(name: str, data: bytes, owner: Owner, mode: int = 0o644) -> Iterator[bytes]:
    info = _info(name, owner)
    info.size = len(data)
    info.mode = mode
    yield _header(info)
    yield data + _padding(len(data))


def tree_entries(root: Path, arcname: str, owner: Owner) -> Iterator[bytes]:
    """`root` and everything below it, named `arcname` and `arcname/...`, without the end marker."""
    yield from _entry(root, arcname, owner)


def _entry(path: Path, name: str, owner: Owner) -> Iterator[bytes]:
    status = path.lstat()
    info = _info(name, owner)
    info.mode = stat.S_IMODE(status.st_mode)
    info.mtime = int(status.st_mtime)
    if stat.S_ISLNK(status.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
        yield _header(info)
    elif stat.S_ISDIR(status.st_mode):
        info.type = tarfile.DIRTYPE
        yield _header(info)
        with os.scandir(path) as listing:
            children = sorted(entry.name for entry in listing)
        for child in children:
            yield from _entry(path / child, f"{name}/{child}", owner)
    elif stat.S_ISREG(status.st_mode):
        info.size = status.st_size
        yield _header(info)
        yield from _file_data(path, status.st_size)
    # Sockets, fifos and devices have no place in a checkout (git cannot hold them): skipped.


def _file_data(path: Path, size: int) -> Iterator[bytes]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        remaining = size
        while remaining:
            chunk = os.read(fd, min(CHUNK, remaining))
            if not chunk:
                raise TreeChanged(f"{path} shrank while it was archived ({size - remaining} of {size} bytes read)")
            remaining -= len(chunk)
            yield chunk
    finally:
        os.close(fd)
    if size % BLOCK:
        yield _padding(size)


def _info(name: str, owner: Owner) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.uid, info.gid = owner.uid, owner.gid
    info.uname, info.gname = owner.user, owner.group
    return info


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)
