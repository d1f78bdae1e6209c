"""The lazily produced tar of a checkout: what the engine will extract, and in bounded memory."""

from __future__ import annotations

import io
import itertools
import os
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from node_agent.content.tar_tree import (
    END_OF_ARCHIVE,
    Owner,
    TreeChanged,
    directory_entries,
    file_entry,
    tree_entries,
)

OWNER = Owner(33333, 33333, "berth", "berth")
MiB = 1 << 20


def archive_of(root: Path, arcname: str = "workspace/repo") -> tarfile.TarFile:
    data = b"".join(itertools.chain(tree_entries(root, arcname, OWNER), [END_OF_ARCHIVE]))
    assert len(data) % tarfile.BLOCKSIZE == 0
    return tarfile.open(fileobj=io.BytesIO(data))


def test_types_modes_owners_and_content(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "empty").write_bytes(b"")
    (root / "block").write_bytes(b"b" * 512)
    (root / "odd").write_bytes(b"o" * 1001)
    (root / "tool.sh").write_text("#!/bin/sh\n")
    (root / "tool.sh").chmod(0o750)
    (root / "sub" / "deeper" / ("long-name-" * 20)).write_text("long\n")
    os.symlink("/etc/passwd", root / "abs-link")
    os.symlink("../../outside", root / "sub" / "rel-link")
    os.symlink("sub", root / "dir-link")
    os.symlink("nowhere", root / "dangling")
    os.mkfifo(root / "fifo")

    with archive_of(root) as archive:
        members = {member.name: member for member in archive.getmembers()}
        assert "workspace/repo/fifo" not in members, "special files are not part of a checkout"
        assert all((m.uid, m.gid, m.uname, m.gname) == (33333, 33333, "berth", "berth") for m in members.values())
        assert members["workspace/repo"].isdir()
        absolute = members["workspace/repo/abs-link"]
        assert absolute.issym() and absolute.linkname == "/etc/passwd"
        assert members["workspace/repo/sub/rel-link"].linkname == "../../outside"
        assert members["workspace/repo/dir-link"].issym(), "a link to a directory is not followed"
        assert "workspace/repo/dir-link/deeper" not in members
        assert members["workspace/repo/dangling"].issym()
        assert members["workspace/repo/tool.sh"].mode == 0o750
        for name, expected in (("empty", b""), ("block", b"b" * 512), ("odd", b"o" * 1001)):
            handle = archive.extractfile(members[f"workspace/repo/{name}"])
            assert handle is not None and handle.read() == expected
        assert f"workspace/repo/sub/deeper/{'long-name-' * 20}" in members


def test_parent_directories_and_single_files() -> None:
    data = b"".join(itertools.chain(
        directory_entries(["workspace/a", "workspace/a/b"], OWNER),
        file_entry("workspace/a/b/marker.json", b"{}\n", OWNER),
        [END_OF_ARCHIVE],
    ))
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        names = [(m.name, m.isdir(), m.uid, oct(m.mode)) for m in archive.getmembers()]
    assert names == [
        ("workspace/a", True, 33333, "0o755"),
        ("workspace/a/b", True, 33333, "0o755"),
        ("workspace/a/b/marker.json", False, 33333, "0o644"),
    ]


def test_a_1_gb_file_streams_through_in_bounded_memory(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    with (root / "huge.bin").open("wb") as huge:  # sparse: the test costs no disk space
        huge.truncate(1 << 30)
    total = 0
    largest = 0
    tracemalloc.start()
    try:
        for chunk in tree_entries(root, "workspace/repo", OWNER):
            total += len(chunk)
            largest = max(largest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == (1 << 30) + 2 * tarfile.BLOCKSIZE  # two headers, data already block-aligned
    assert largest <= MiB
    assert peak < 8 * MiB, f"peak Python allocations {peak / MiB:.1f} MiB while streaming 1 GiB"


def test_a_file_that_shrinks_while_archived_aborts_the_archive(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "data").write_bytes(b"d" * (3 * MiB))
    chunks = tree_entries(root, "r", OWNER)
    next(chunks), next(chunks), next(chunks)  # directory header, file header, first data chunk
    os.truncate(root / "data", MiB)
    with pytest.raises(TreeChanged, match="shrank"):
        list(chunks)
