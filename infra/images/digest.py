"""One SHA-256 over the selected build-context entries: paths, types, permission bits, symlink
targets and file contents.

Every entry goes into a single stream as a self-delimiting record (a header that states the
content's length, then the content), so two different contexts never produce the same stream.
Modification times and owners are left out on purpose: COPY sets the owner (root, or --chown), and
a fresh clone of the same commit must hit the cache even though its mtimes are new (Docker's own
build cache ignores them the same way).

Speed matters (a 10,000-file context should cost about what `sha256sum` costs): a small file is read
with a single `read` call straight into one running hash; no per-file hash object, no threads, and
no cache that could ever answer with a stale key.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.errors import InvalidInput
from infra.images.context import ContextEntry
from infra.images.errors import ContextChanged

# Files below this size are read in one call; larger ones stream in chunks of this size.
_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class ContentSink(Protocol):
    """Receives the entries as they are hashed. The builder writes its context tar through this,
    so the image is built from exactly the bytes its key was computed from."""

    def begin_file(self, entry: ContextEntry, size: int) -> None: ...

    def write(self, chunk: bytes) -> None: ...

    def end_file(self) -> None: ...

    def add_other(self, entry: ContextEntry, link_target: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class ContextDigest:
    hexdigest: str
    entries: int
    bytes: int


def digest_entries(
    entries: Sequence[ContextEntry], hasher: hashlib._Hash | None = None, sink: ContentSink | None = None
) -> ContextDigest:
    """Feed every entry into `hasher` (a new SHA-256 if None) and return its digest."""
    h = hasher if hasher is not None else hashlib.sha256()
    update = h.update
    total = 0
    for entry in entries:
        mode = entry.mode
        if stat.S_ISREG(mode):
            total += _file(entry, update, sink)
            continue
        path = os.fsencode(entry.path)
        if stat.S_ISDIR(mode):
            update(b"D%s\0%o\n" % (path, stat.S_IMODE(mode)))
            link = None
        elif stat.S_ISLNK(mode):
            try:
                link = os.readlink(entry.fspath)
            except OSError as error:
                raise ContextChanged(f"{entry.path!r} changed while the build context was read") from error
            target = os.fsencode(link)
            update(b"L%s\0%d\n%s" % (path, len(target), target))
        else:  # fifos, sockets, devices: the engine copies the node, so its type and bits count
            update(b"O%s\0%o\n" % (path, mode))
            link = None
        if sink is not None:
            sink.add_other(entry, link)
    return ContextDigest(h.hexdigest(), len(entries), total)


def _file(entry: ContextEntry, update: _Update, sink: ContentSink | None) -> int:
    try:
        fd = os.open(entry.fspath, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as error:
        raise ContextChanged(f"{entry.path!r} changed while the build context was read: {error}") from error
    except OSError as error:  # e.g. permission denied: retrying will not help
        message = f"cannot read {entry.path!r} in the build context: {error}"
        raise InvalidInput(message, field="context") from error
    try:
        if entry.size < _CHUNK:
            # One byte more than the listed size tells, without another call, that the file still
            # ends where it did; a short read of a regular file only happens at its end.
            data = os.read(fd, entry.size + 1)
            if len(data) <= entry.size:
                size = len(data)
                update(b"F%s\0%o\0%d\n" % (os.fsencode(entry.path), stat.S_IMODE(entry.mode), size))
                update(data)
                if sink is not None:
                    sink.begin_file(entry, size)
                    sink.write(data)
                    sink.end_file()
                return size
            os.lseek(fd, 0, os.SEEK_SET)  # it grew since it was listed: take the streaming path
        return _stream(entry, fd, update, sink)
    finally:
        os.close(fd)


def _stream(entry: ContextEntry, fd: int, update: _Update, sink: ContentSink | None) -> int:
    size = os.fstat(fd).st_size
    update(b"F%s\0%o\0%d\n" % (os.fsencode(entry.path), stat.S_IMODE(entry.mode), size))
    if sink is not None:
        sink.begin_file(entry, size)
    remaining = size
    while remaining:
        chunk = os.read(fd, min(_CHUNK, remaining))
        if not chunk:
            raise ContextChanged(f"{entry.path!r} shrank while it was read")
        update(chunk)
        if sink is not None:
            sink.write(chunk)
        remaining -= len(chunk)
    if os.read(fd, 1):
        raise ContextChanged(f"{entry.path!r} grew while it was read")
    if sink is not None:
        sink.end_file()
    return size


class _Update(Protocol):
    def __call__(self, data: bytes, /) -> None: ...
