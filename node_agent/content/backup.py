"""Backup: the container's /workspace as a tar stream -> zstd -> one blob, confirmed or absent.

Runs in one worker thread (the engine's stream, the compressor's input and the blob write), while
zstd compresses on its own threads; nothing is held in memory beyond a few chunks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from infra.blobs import BlobStore
from infra.blobs.threads import until_stopped
from node_agent.content.tar_tree import END_OF_ARCHIVE
from node_agent.content.zstd_stream import compress
from node_agent.engine import Engine, engine_errors
from node_agent.naming import WORKSPACE_DIR
from node_agent.progress import ProgressMeter


class ArchiveIncomplete(Exception):
    """The engine's tar stream ended without the end-of-archive marker: it was cut short."""


@dataclass(frozen=True)
class BackupTotals:
    tar_bytes: int
    stored_bytes: int
    seconds: float


def back_up(engine: Engine, store: BlobStore, container: str, key: str, meter: ProgressMeter,
            stop: threading.Event, *, threads: int = -1) -> BackupTotals:
    """`threads`: zstd workers (-1: one per CPU, 0: compress on this thread; each worker buffers
    compression jobs, about 35 MB apiece at level 3)."""
    read = 0

    def tar_stream() -> Iterator[bytes]:
        nonlocal read
        tail = b""
        with engine_errors("reading /workspace for a backup"), engine.archive_of(container, WORKSPACE_DIR) as chunks:
            for chunk in chunks:
                read += len(chunk)
                tail = (tail + chunk[-len(END_OF_ARCHIVE):])[-len(END_OF_ARCHIVE):]
                yield chunk
        # Docker ends its archives with two zero blocks; a stream without them lost its end on
        # the way, and confirming it would present a partial backup as the workspace.
        if tail != END_OF_ARCHIVE:
            raise ArchiveIncomplete(f"the tar stream of /workspace ended after {read} bytes without its end marker")

    def on_stored(stored: int) -> None:
        meter.update(read, compressed=stored)

    info = store.write_blocking(key, until_stopped(compress(tar_stream(), threads=threads), stop), on_stored)
    seconds = meter.finish(read, compressed=info.size)
    return BackupTotals(read, info.size, seconds)
