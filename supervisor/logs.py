"""Output logs: everything a task (or lifecycle hook) printed, addressed by byte offset.

Each log is a file under the config's log_dir (so output survives in the workspace's backup and
can be read with `less`) plus an in-memory ring of the newest bytes, so the API's incremental
reads (`?offset=`) of a live task never touch the disk. Offsets count bytes since the start of
this instance; a reader remembers `offset + len(body)` and asks again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("logs")

RING_BYTES = 1 << 20
"""Bytes kept in memory per log: the tail a follower of a live task reads."""


class LogOffsetError(Exception):
    """The requested offset cannot be served (beyond the end, or no longer kept)."""


class OutputLog:
    def __init__(self, path: Path | None, ring_bytes: int = RING_BYTES, *, open_now: bool = True) -> None:
        """`open_now=False`: the file is opened (truncated) by `open`, once its directory may be written (the
        workspace's content is in place); output until then is kept in memory only."""
        self.path = path
        self.size = 0
        self.ended = False
        """No byte will be added any more (the process and everything holding its terminal ended)."""
        self._ring = bytearray()
        self._ring_bytes = ring_bytes
        self._fd: int | None = None
        if open_now:
            self.open()

    def open(self) -> None:
        """Open the file (once, before anything was appended: offsets in it are offsets of the log)."""
        if self.path is None or self._fd is not None or self.size or self.ended:
            return
        try:
            # Truncated: offsets are per instance, and a restart from a backup starts at 0 again.
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as error:
            log.warning("cannot write %s (%s); keeping only the last %d bytes in memory", self.path, error,
                        self._ring_bytes)

    @property
    def ring_start(self) -> int:
        return self.size - len(self._ring)

    def append(self, data: bytes) -> None:
        if not data:
            return
        if self._fd is not None:
            try:
                os.pwrite(self._fd, data, self.size)
            except OSError as error:
                # A full disk must not stop the task; the ring still serves the tail.
                log.warning("writing %s failed (%s); keeping only the last bytes in memory", self.path, error)
                self._close_file()
        self.size += len(data)
        self._ring += data
        excess = len(self._ring) - self._ring_bytes
        if excess > 0:
            del self._ring[:excess]

    def read(self, offset: int, limit: int) -> bytes:
        """Up to `limit` bytes from `offset`; empty at the end. LogOffsetError when not servable."""
        if offset < 0 or offset > self.size:
            raise LogOffsetError(f"offset {offset} is outside the log (0-{self.size})")
        end = min(self.size, offset + limit)
        if offset >= self.ring_start:
            start = offset - self.ring_start
            return bytes(self._ring[start : start + (end - offset)])
        if self._fd is None:
            raise LogOffsetError(f"bytes before offset {self.ring_start} are no longer kept")
        return os.pread(self._fd, end - offset, offset)

    def end(self) -> None:
        self.ended = True

    def close(self) -> None:
        self.ended = True
        self._close_file()

    def _close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class LinePrefixer:
    """Prefixes every line with a name, so the outputs of parallel commands sharing one log stay apart.
    A partial line waits for its end (or `flush`), so two commands never split each other's lines."""

    def __init__(self, prefix: str, sink: Callable[[bytes], None]) -> None:
        self._prefix = prefix.encode()
        self._sink = sink
        self._partial = b""

    def __call__(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        if lines:
            self._sink(b"".join(self._prefix + line + b"\n" for line in lines))

    def flush(self) -> None:
        if self._partial:
            self._sink(self._prefix + self._partial + b"\n")
            self._partial = b""
