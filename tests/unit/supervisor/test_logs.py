"""Output logs: byte offsets across the file and the in-memory ring, and line prefixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.logs import LinePrefixer, LogOffsetError, OutputLog


def test_offsets_read_the_memory_tail_and_the_file_before_it(tmp_path: Path) -> None:
    path = tmp_path / "task-0.log"
    path.write_bytes(b"old instance\n")
    log = OutputLog(path, ring_bytes=8)
    try:
        assert path.read_bytes() == b""  # a new instance starts at offset 0
        for chunk in (b"hello ", b"world\n", b"again\n"):
            log.append(chunk)
        assert log.size == 18 and log.ring_start == 10
        assert log.read(0, 100) == b"hello world\nagain\n"  # from the file
        assert log.read(12, 100) == b"again\n"  # from memory
        assert log.read(6, 3) == b"wor"
        assert log.read(18, 100) == b""
        assert path.read_bytes() == b"hello world\nagain\n"
        with pytest.raises(LogOffsetError, match="outside the log"):
            log.read(19, 1)
        with pytest.raises(LogOffsetError):
            log.read(-1, 1)
    finally:
        log.close()
    assert log.ended


def test_without_a_file_only_the_tail_is_kept(tmp_path: Path) -> None:
    log = OutputLog(tmp_path / "missing-dir" / "task.log", ring_bytes=4)
    log.append(b"abcdef")
    assert log.read(2, 10) == b"cdef"
    with pytest.raises(LogOffsetError, match="before offset 2 are no longer kept"):
        log.read(0, 10)
    log.close()


def test_prefixes_whole_lines_and_flushes_the_rest() -> None:
    out: list[bytes] = []
    prefix = LinePrefixer("[a] ", out.append)
    prefix(b"one\ntw")
    prefix(b"o\n")
    prefix(b"partial")
    assert out == [b"[a] one\n", b"[a] two\n"]
    prefix.flush()
    prefix.flush()
    assert out[-1] == b"[a] partial\n" and len(out) == 3
