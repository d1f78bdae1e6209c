"""A blob store in a local directory: `<root>/<key>` is a confirmed blob.

Writes go to `<root>/.incoming/<random>.part`, are fsynced, then renamed onto the key and the
directory is fsynced: rename is atomic on one file system, so a reader sees the old blob or the new
one, and after a crash a key either names a complete blob or does not exist. Leftover `.part` files
are never visible as blobs; `discard_incomplete` removes old ones.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

from infra.blobs.errors import BlobNotFound, BlobReadFailed, BlobWriteFailed
from infra.blobs.keys import check_key, check_prefix
from infra.blobs.store import BlobInfo, BlobStore

T = TypeVar("T")

INCOMING = ".incoming"
# Chunks smaller than this are gathered before a write: one syscall per tiny compressor output
# would dominate the cost of a backup.
_WRITE_BATCH = 1 << 20


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path_of(self, key: str) -> Path:
        return self.root / check_key(key)

    # -- writes -------------------------------------------------------------------------------------

    def write_blocking(self, key: str, chunks: Iterable[bytes], on_bytes: Callable[[int], None]) -> BlobInfo:
        final = self.path_of(key)
        incoming = self.root / INCOMING
        temp = incoming / f"{uuid.uuid4().hex}.part"
        fd = _store_call(key, "creating the temp file", lambda: _create_exclusive(incoming, temp))
        try:
            size = self._fill(key, fd, chunks, on_bytes)
            _store_call(key, "syncing the temp file", lambda: os.fsync(fd))
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        os.close(fd)
        try:
            _store_call(key, "confirming (rename)", lambda: self._rename_into_place(temp, final))
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        return BlobInfo(key, size)

    def _fill(self, key: str, fd: int, chunks: Iterable[bytes], on_bytes: Callable[[int], None]) -> int:
        size = 0
        pending: list[bytes] = []
        pending_size = 0
        for chunk in chunks:  # errors of the source propagate as they are
            if not chunk:
                continue
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= _WRITE_BATCH:
                size += _write_batch(key, fd, pending)
                pending, pending_size = [], 0
                on_bytes(size)
        if pending:
            size += _write_batch(key, fd, pending)
        on_bytes(size)
        return size

    def _rename_into_place(self, temp: Path, final: Path) -> None:
        # A concurrent delete may remove an emptied parent directory between mkdir and rename.
        for attempt in range(3):
            created = _make_parents(final.parent, self.root)
            try:
                os.replace(temp, final)
            except FileNotFoundError:
                if attempt == 2 or not temp.exists():
                    raise
                continue
            for directory in {final.parent, *(path.parent for path in created)}:
                _fsync_directory(directory)
            return

    # -- reads --------------------------------------------------------------------------------------

    def open_blocking(self, key: str) -> BinaryIO:
        path = self.path_of(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None
        except OSError as error:
            raise BlobReadFailed(key, _describe(error)) from error

    def stat_blocking(self, key: str) -> BlobInfo | None:
        try:
            info = self.path_of(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise BlobReadFailed(key, _describe(error)) from error
        return BlobInfo(key, info.st_size) if stat.S_ISREG(info.st_mode) else None

    def list_blocking(self, prefix: str) -> list[BlobInfo]:
        check_prefix(prefix)
        directory = prefix.rpartition("/")[0]
        base = self.root / directory if directory else self.root
        found = [
            info
            for info in self._walk(base, f"{directory}/" if directory else "")
            if info.key.startswith(prefix)
        ]
        return sorted(found, key=lambda info: info.key)

    def _walk(self, directory: Path, key_prefix: str) -> Iterator[BlobInfo]:
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith("."):  # the store's own bookkeeping (.incoming), never a key
                continue
            key = key_prefix + entry.name
            with contextlib.suppress(FileNotFoundError):  # deleted while listing: not there
                if entry.is_dir(follow_symlinks=False):
                    yield from self._walk(Path(entry.path), key + "/")
                elif entry.is_file(follow_symlinks=False):
                    yield BlobInfo(key, entry.stat(follow_symlinks=False).st_size)

    # -- deletes ------------------------------------------------------------------------------------

    def delete_blocking(self, key: str) -> bool:
        path = self.path_of(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False
        except IsADirectoryError:  # a key prefix, not a blob
            return False
        except OSError as error:
            raise BlobWriteFailed(key, f"deleting: {_describe(error)}") from error
        _store_call(key, "syncing the deletion", lambda: _fsync_directory(path.parent))
        self._prune_empty_parents(path.parent)
        return True

    def _prune_empty_parents(self, directory: Path) -> None:
        """Remove directories a delete left empty, up to the root, so deleted workspaces leave no trace."""
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:  # not empty, or already gone: either way, stop
                return
            directory = directory.parent

    def discard_incomplete(self, older_than: float) -> int:
        """Remove temp files of writes that died (process killed) more than `older_than` seconds ago."""
        cutoff = time.time() - older_than
        removed = 0
        try:
            entries = list(os.scandir(self.root / INCOMING))
        except FileNotFoundError:
            return 0
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):
                if entry.name.endswith(".part") and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed


def _create_exclusive(incoming: Path, temp: Path) -> int:
    incoming.mkdir(parents=True, exist_ok=True)
    return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)


def _write_batch(key: str, fd: int, chunks: list[bytes]) -> int:
    data = b"".join(chunks) if len(chunks) > 1 else chunks[0]
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as error:
        raise BlobWriteFailed(key, f"writing: {_describe(error)}") from error
    return len(data)


def _make_parents(directory: Path, root: Path) -> list[Path]:
    """mkdir -p below `root`; returns the directories it created (their parents need an fsync)."""
    missing: list[Path] = []
    current = directory
    while current != root and not current.is_dir():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
    return missing


def _fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable (the entry lives in the directory, not the file)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _store_call(key: str, doing: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except OSError as error:
        raise BlobWriteFailed(key, f"{doing}: {_describe(error)}") from error


def _describe(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "error")
    return f"{error.strerror or error} ({name}{f': {error.filename}' if error.filename else ''})"
