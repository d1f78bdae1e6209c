"""The blob store contract: whole-object writes that are either confirmed or absent, streamed reads.

Backups and other large artifacts live here. A writer streams bytes in and learns the blob is
*confirmed* only when `put` returns: before that, readers see the previous blob under the key (or
none) and a crash leaves nothing a reader could mistake for a blob. That is what lets the node agent
delete a workspace volume only after a confirmed backup (DESIGN.md section 5).

Implementations provide the blocking primitives (the local directory store uses the file system,
an S3 store would use a multipart upload and a streaming GET); the async API is built on them here,
running each transfer in a worker thread. Pipelines that already run in a thread (compressing a
container's tar stream, say) may call the blocking primitives directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from infra.blobs.errors import BlobNotFound
from infra.blobs.keys import check_key, check_prefix
from infra.blobs.threads import from_async, on_loop, run_stoppable, until_stopped

ByteSource = Iterable[bytes] | AsyncIterable[bytes]
# Called with the number of bytes written so far (the blob's size once the last call was made).
ProgressCallback = Callable[[int], object]

READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int


class BlobStore(ABC):
    # -- blocking primitives: what an implementation provides ------------------------------------

    @abstractmethod
    def write_blocking(self, key: str, chunks: Iterable[bytes], on_bytes: Callable[[int], None]) -> BlobInfo:
        """Write all of `chunks` as the blob `key`, replacing any earlier one atomically; the blob is
        confirmed when this returns. Calls `on_bytes(total written)` as the write progresses. An
        exception from `chunks` aborts the write (nothing is confirmed) and propagates unchanged;
        a failure of the store itself raises BlobWriteFailed."""

    @abstractmethod
    def open_blocking(self, key: str) -> BinaryIO:
        """The confirmed blob `key`, readable from the start; BlobNotFound when there is none."""

    @abstractmethod
    def stat_blocking(self, key: str) -> BlobInfo | None: ...

    @abstractmethod
    def delete_blocking(self, key: str) -> bool:
        """Delete the blob; False when there was none."""

    @abstractmethod
    def list_blocking(self, prefix: str) -> list[BlobInfo]:
        """Every confirmed blob whose key starts with `prefix`, sorted by key."""

    # -- the async API ----------------------------------------------------------------------------

    async def put(self, key: str, data: ByteSource, *, on_progress: ProgressCallback | None = None) -> BlobInfo:
        """Stream `data` (sync or async chunks) into the blob `key`; returns once it is confirmed.
        `on_progress` runs on the caller's event loop. Cancelling the caller aborts the write and
        leaves the previous blob (if any) in place."""
        check_key(key)
        loop = asyncio.get_running_loop()
        report = on_loop(on_progress, loop)

        def write(stop: threading.Event) -> BlobInfo:
            chunks = from_async(data, loop, stop) if isinstance(data, AsyncIterable) else until_stopped(data, stop)
            return self.write_blocking(key, chunks, report)

        return await run_stoppable(write)

    @contextlib.asynccontextmanager
    async def get(self, key: str, *, chunk_size: int = READ_CHUNK) -> AsyncIterator[AsyncIterator[bytes]]:
        """`async with store.get(key) as chunks: async for chunk in chunks: ...`; BlobNotFound on entry."""
        check_key(key)
        reader = await asyncio.to_thread(self.open_blocking, key)
        try:
            yield _chunks_of(reader, chunk_size)
        finally:
            await asyncio.to_thread(reader.close)

    async def exists(self, key: str) -> bool:
        return await self.stat(key) is not None

    async def stat(self, key: str) -> BlobInfo | None:
        check_key(key)
        return await asyncio.to_thread(self.stat_blocking, key)

    async def size(self, key: str) -> int:
        """The confirmed blob's size in bytes; BlobNotFound when there is none."""
        info = await self.stat(key)
        if info is None:
            raise BlobNotFound(key)
        return info.size

    async def delete(self, key: str) -> bool:
        check_key(key)
        return await asyncio.to_thread(self.delete_blocking, key)

    async def list(self, prefix: str = "") -> list[BlobInfo]:
        check_prefix(prefix)
        return await asyncio.to_thread(self.list_blocking, prefix)


async def _chunks_of(reader: BinaryIO, chunk_size: int) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(reader.read, chunk_size):
        yield chunk
