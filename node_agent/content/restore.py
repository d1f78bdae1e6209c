"""Restore: backup blob -> zstd-decompress -> the engine's archive upload, into /workspace.

The backup's entries are named `workspace/...` (that is how the engine archives /workspace), so
the archive is extracted at `/`: the volume root gets its saved owner and mode back too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from infra.blobs import BlobNotFound, BlobStore
from infra.blobs.threads import until_stopped
from node_agent.content.zstd_stream import StreamIncomplete, decompress
from node_agent.engine import Engine, engine_errors
from node_agent.errors import BackupCorrupt, BackupMissing
from node_agent.progress import ProgressMeter


@dataclass(frozen=True)
class RestoreTotals:
    tar_bytes: int
    stored_bytes: int
    seconds: float


def restore(engine: Engine, store: BlobStore, container: str, key: str, meter: ProgressMeter,
            stop: threading.Event) -> RestoreTotals:
    try:
        reader = store.open_blocking(key)
    except BlobNotFound:
        raise BackupMissing(key) from None
    written = 0

    def counted() -> Iterator[bytes]:
        nonlocal written
        for chunk in decompress(reader):
            written += len(chunk)
            meter.update(written, compressed=reader.tell())
            yield chunk

    with reader:
        try:
            with engine_errors("copying a backup into /workspace"):
                engine.api.put_archive(container, "/", until_stopped(counted(), stop))
        except StreamIncomplete as error:
            raise BackupCorrupt(key, str(error)) from error
        stored = reader.tell()
    seconds = meter.finish(written, compressed=stored)
    return RestoreTotals(written, stored, seconds)
