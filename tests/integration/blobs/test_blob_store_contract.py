"""What every blob store guarantees: confirmed-or-absent writes, streamed reads, prefix listing."""

from __future__ import annotations

import asyncio
import threading
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import pytest

from infra.blobs import BlobInfo, BlobNotFound, BlobStore, InvalidBlobKey

MiB = 1 << 20


def pattern(size: int, seed: int = 0) -> bytes:
    """Bytes that differ at every offset, so a misplaced or repeated chunk cannot go unnoticed."""
    block = bytes((seed + index) % 251 for index in range(251))
    return (block * (size // len(block) + 1))[:size]


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def read_all(store: BlobStore, key: str) -> bytes:
    async with store.get(key) as chunks:
        return b"".join([chunk async for chunk in chunks])


class SourceBroke(Exception):
    pass


async def test_put_from_a_sync_stream_then_get_it_back(store: BlobStore) -> None:
    data = pattern(3 * MiB + 17)
    info = await store.put("backups/ws-1/i-1.tar.zst", chunked(data, 64 * 1024))
    assert info == BlobInfo("backups/ws-1/i-1.tar.zst", len(data))
    assert await read_all(store, "backups/ws-1/i-1.tar.zst") == data
    assert await store.exists("backups/ws-1/i-1.tar.zst")
    assert await store.size("backups/ws-1/i-1.tar.zst") == len(data)


async def test_put_from_an_async_stream(store: BlobStore) -> None:
    data = pattern(2 * MiB + 5, seed=3)

    async def produce() -> AsyncIterator[bytes]:
        for chunk in chunked(data, 100_000):
            await asyncio.sleep(0)
            yield chunk

    info = await store.put("a/async.bin", produce())
    assert info.size == len(data)
    assert await read_all(store, "a/async.bin") == data


async def test_an_empty_blob_is_a_blob(store: BlobStore) -> None:
    assert await store.put("empty", iter(())) == BlobInfo("empty", 0)
    assert await store.exists("empty")
    assert await read_all(store, "empty") == b""


async def test_progress_is_reported_on_the_callers_loop_and_ends_at_the_size(store: BlobStore) -> None:
    data = pattern(5 * MiB + 1)
    seen: list[int] = []
    threads: set[int] = set()

    def progress(done: int) -> None:
        seen.append(done)
        threads.add(threading.get_ident())

    info = await store.put("p/progress.bin", chunked(data, 256 * 1024), on_progress=progress)
    assert seen == sorted(seen)
    assert len(seen) >= 2
    assert seen[-1] == info.size == len(data)
    assert threads == {threading.get_ident()}


async def test_put_replaces_an_earlier_blob(store: BlobStore) -> None:
    await store.put("k", [b"old content"])
    await store.put("k", [b"new"])
    assert await read_all(store, "k") == b"new"
    assert await store.size("k") == 3


async def test_a_failing_source_confirms_nothing_and_keeps_the_earlier_blob(store: BlobStore) -> None:
    await store.put("k/blob", [b"earlier"])

    def breaking() -> Iterator[bytes]:
        yield pattern(2 * MiB)
        raise SourceBroke("the container's tar stream ended early")

    with pytest.raises(SourceBroke):
        await store.put("k/blob", breaking())
    with pytest.raises(SourceBroke):
        await store.put("k/never", breaking())
    assert await read_all(store, "k/blob") == b"earlier"
    assert not await store.exists("k/never")
    assert [info.key for info in await store.list("k/")] == ["k/blob"]


async def test_a_failing_async_source_confirms_nothing(store: BlobStore) -> None:
    async def breaking() -> AsyncIterator[bytes]:
        yield b"partial"
        raise SourceBroke("gone")

    with pytest.raises(SourceBroke):
        await store.put("k/async", breaking())
    assert not await store.exists("k/async")


async def test_cancelling_a_put_confirms_nothing(store: BlobStore) -> None:
    await store.put("c/blob", [b"earlier"])
    started = asyncio.Event()
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                started.set()
                yield pattern(64 * 1024)
                await asyncio.sleep(0.001)
        finally:
            closed.set()

    task = asyncio.create_task(store.put("c/blob", endless()))
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed.is_set(), "the source was not closed when the put was cancelled"
    assert await read_all(store, "c/blob") == b"earlier"
    assert [info.key for info in await store.list()] == ["c/blob"]


async def test_a_reader_during_a_write_sees_the_earlier_blob_whole(store: BlobStore) -> None:
    old = pattern(1 * MiB, seed=1)
    new = pattern(3 * MiB, seed=2)
    await store.put("r/blob", [old])
    halfway = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        for index, chunk in enumerate(chunked(new, 256 * 1024)):
            if index == 4:
                halfway.set()
                await release.wait()
            yield chunk

    writing = asyncio.create_task(store.put("r/blob", slow()))
    await halfway.wait()
    assert await read_all(store, "r/blob") == old
    release.set()
    await writing
    assert await read_all(store, "r/blob") == new


async def test_list_by_prefix(store: BlobStore) -> None:
    keys = ["a/b/1", "a/b/2", "a/c", "ab", "b/x.tar.zst"]
    for key in keys:
        await store.put(key, [key.encode()])
    assert [info.key for info in await store.list()] == sorted(keys)
    assert [info.key for info in await store.list("a/")] == ["a/b/1", "a/b/2", "a/c"]
    assert [info.key for info in await store.list("a")] == ["a/b/1", "a/b/2", "a/c", "ab"]
    assert [info.key for info in await store.list("a/b/")] == ["a/b/1", "a/b/2"]
    assert [info.key for info in await store.list("b/x.")] == ["b/x.tar.zst"]
    assert await store.list("zzz/") == []
    assert await store.list("a/c/") == []
    assert {info.key: info.size for info in await store.list("a/b")} == {"a/b/1": 5, "a/b/2": 5}


async def test_delete(store: BlobStore) -> None:
    await store.put("d/one", [b"1"])
    await store.put("d/two", [b"2"])
    assert await store.delete("d/one") is True
    assert await store.delete("d/one") is False
    assert not await store.exists("d/one")
    assert [info.key for info in await store.list("d/")] == ["d/two"]
    assert await store.delete("d") is False, "a prefix is not a blob"


async def test_missing_blobs_are_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        async with store.get("nope/never"):
            pass
    with pytest.raises(BlobNotFound):
        await store.size("nope")
    assert await store.stat("nope") is None
    await store.put("dir/blob", [b"x"])
    assert not await store.exists("dir"), "a key prefix is not a blob"


@pytest.mark.parametrize(
    "key", ["", "/abs", "../up", "a/../b", "a//b", "a/", ".incoming/x", "a/.hidden", "-dash", "sp ace", "ü"]
)
async def test_invalid_keys_are_rejected(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidBlobKey):
        await store.put(key, [b"x"])
    with pytest.raises(InvalidBlobKey):
        await store.exists(key)
    with pytest.raises(InvalidBlobKey):
        await store.delete(key)


async def test_invalid_prefixes_are_rejected(store: BlobStore) -> None:
    for prefix in ("/a", "../", "a/../", "a//", ".incoming/"):
        with pytest.raises(InvalidBlobKey):
            await store.list(prefix)


async def test_a_large_blob_streams_through_in_bounded_memory(store: BlobStore) -> None:
    chunk = pattern(MiB)
    total = 64 * MiB

    def source() -> Iterator[bytes]:
        for _ in range(total // MiB):
            yield chunk

    tracemalloc.start()
    try:
        await store.put("big/blob", source())
        read = 0
        async with store.get("big/blob") as chunks:
            async for piece in chunks:
                read += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == total
    assert peak < 16 * MiB, f"peak Python allocations {peak / MiB:.1f} MiB for a {total // MiB} MiB blob"
