"""What only the local-directory store promises: its files, temp files and failures on a real disk."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.blobs import BlobWriteFailed, LocalBlobStore
from infra.blobs.local import INCOMING
from tests.integration.blobs.unwritable import unwritable


@pytest.fixture
def local(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


async def test_a_blob_is_a_file_under_its_key_and_temp_files_are_gone(local: LocalBlobStore) -> None:
    await local.put("backups/ws/i.tar.zst", [b"abc", b"def"])
    assert (local.root / "backups" / "ws" / "i.tar.zst").read_bytes() == b"abcdef"
    assert list((local.root / INCOMING).iterdir()) == []


async def test_an_unwritable_store_fails_typed_and_keeps_the_earlier_blob(local: LocalBlobStore) -> None:
    await local.put("backups/ws/i.tar.zst", [b"earlier"])
    with unwritable(local.root / INCOMING), pytest.raises(BlobWriteFailed) as failure:
        await local.put("backups/ws/i.tar.zst", [b"new"])
    assert failure.value.key == "backups/ws/i.tar.zst"
    assert "creating the temp file" in str(failure.value)
    assert (local.root / "backups" / "ws" / "i.tar.zst").read_bytes() == b"earlier"


async def test_a_target_directory_that_cannot_take_the_blob_fails_typed(local: LocalBlobStore) -> None:
    (local.root / "backups" / "ws").mkdir(parents=True)

    def chunks() -> Iterator[bytes]:
        yield b"x" * 4096

    with unwritable(local.root / "backups" / "ws"), pytest.raises(BlobWriteFailed, match="confirming"):
        await local.put("backups/ws/i.tar.zst", chunks())
    assert list((local.root / INCOMING).iterdir()) == []
    assert not await local.exists("backups/ws/i.tar.zst")


async def test_leftovers_of_a_killed_writer_are_invisible_and_discarded(local: LocalBlobStore) -> None:
    await local.put("x", [b"1"])
    stale = local.root / INCOMING / "dead.part"
    stale.write_bytes(b"half a backup")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = local.root / INCOMING / "running.part"
    fresh.write_bytes(b"in progress")
    assert [info.key for info in await local.list()] == ["x"]
    assert local.discard_incomplete(older_than=600) == 1
    assert not stale.exists() and fresh.exists()


async def test_deleting_the_last_blob_of_a_directory_prunes_it(local: LocalBlobStore) -> None:
    await local.put("backups/ws-a/1", [b"1"])
    await local.put("backups/ws-b/1", [b"1"])
    await local.delete("backups/ws-a/1")
    assert not (local.root / "backups" / "ws-a").exists()
    assert (local.root / "backups" / "ws-b").is_dir()
    await local.put("backups/ws-a/2", [b"2"])  # and writing there again recreates it
    assert await local.exists("backups/ws-a/2")
