"""The build context the engine receives: exactly the entries the cache key hashed, from the same read.

Sending only the selected entries, written while they are hashed, is what makes the key trustworthy:
a file the key did not cover is not in the context at all (the build fails loudly instead of
silently using it), and a file edited between hashing and building cannot slip in, because the tar
holds the bytes that were hashed.

The Dockerfile goes in under a name of its own with the exact bytes the key hashed, and is listed in
the tar's `.dockerignore` so that the engine removes it before COPY can see it, which is what the
docker CLI does for a Dockerfile outside the context.
"""

from __future__ import annotations

import stat
import tarfile
import time
from typing import IO

from infra.images.context import ContextEntry

DOCKERIGNORE = ".dockerignore"


class ContextTar:
    """Writes a tar stream entry by entry (a `digest.ContentSink`), without buffering files."""

    def __init__(self, out: IO[bytes], dockerfile_name: str, dockerfile_bytes: bytes) -> None:
        self.out = out
        self.dockerfile_name = dockerfile_name
        self.dockerfile_bytes = dockerfile_bytes
        self._size = 0  # size of the file being written, for its padding
        self._ignore: ContextEntry | None = None  # the context's .dockerignore, amended at its end
        self._ignore_chunks: list[bytes] = []
        self._seen_ignore = False

    # -- ContentSink ----------------------------------------------------------------------------

    def begin_file(self, entry: ContextEntry, size: int) -> None:
        if entry.path == DOCKERIGNORE:
            self._ignore = entry
            self._ignore_chunks = []
            return
        self._header(entry.path, tarfile.REGTYPE, entry, size=size)
        self._size = size

    def write(self, chunk: bytes) -> None:
        if self._ignore is not None:
            self._ignore_chunks.append(chunk)
            return
        self.out.write(chunk)

    def end_file(self) -> None:
        if self._ignore is not None:
            content = b"".join(self._ignore_chunks)
            self._write_ignore(self._ignore, content)
            self._ignore = None
            return
        self._pad(self._size)

    def add_other(self, entry: ContextEntry, link_target: str | None) -> None:
        if entry.path == ".":
            return  # the root is implied
        if stat.S_ISDIR(entry.mode):
            self._header(entry.path, tarfile.DIRTYPE, entry)
        elif stat.S_ISLNK(entry.mode) and link_target is not None:
            self._header(entry.path, tarfile.SYMTYPE, entry, linkname=link_target)
        elif stat.S_ISFIFO(entry.mode):
            self._header(entry.path, tarfile.FIFOTYPE, entry)
        # sockets and device nodes are left out, as the docker CLI leaves them out

    # -- finishing ------------------------------------------------------------------------------

    def finish(self) -> None:
        """Add the Dockerfile (and a `.dockerignore` hiding it, if the context had none selected),
        then the end-of-archive marker."""
        if not self._seen_ignore:
            self._write_ignore(None, DOCKERIGNORE.encode() + b"\n")
        self._regular(self.dockerfile_name, self.dockerfile_bytes)
        self.out.write(b"\0" * (2 * tarfile.BLOCKSIZE))

    def _write_ignore(self, entry: ContextEntry | None, content: bytes) -> None:
        self._seen_ignore = True
        if content and not content.endswith(b"\n"):
            content += b"\n"
        content += self.dockerfile_name.encode() + b"\n"
        self._regular(DOCKERIGNORE, content, entry)

    def _regular(self, path: str, content: bytes, entry: ContextEntry | None = None) -> None:
        self._header(path, tarfile.REGTYPE, entry, size=len(content))
        self.out.write(content)
        self._pad(len(content))

    # -- tar records ----------------------------------------------------------------------------

    def _header(
        self,
        path: str,
        kind: bytes,
        entry: ContextEntry | None,
        *,
        size: int = 0,
        linkname: str = "",
    ) -> None:
        info = tarfile.TarInfo(path)
        info.type = kind
        info.size = size
        info.mode = stat.S_IMODE(entry.mode) if entry is not None else 0o644
        info.mtime = entry.mtime if entry is not None else int(time.time())
        info.linkname = linkname
        # Owners are not sent: COPY makes files root's (or --chown's), as with the docker CLI.
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        self.out.write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))

    def _pad(self, size: int) -> None:
        remainder = size % tarfile.BLOCKSIZE
        if remainder:
            self.out.write(b"\0" * (tarfile.BLOCKSIZE - remainder))
