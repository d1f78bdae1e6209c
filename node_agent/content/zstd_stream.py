"""zstd over byte streams, with a size trailer that makes a cut-short blob detectable.

Compression: one frame per backup on all cores (level 3: several hundred MB/s per core at a ratio
close to gzip -6, so the disk or the engine, not the CPU, bounds a backup).

A zstd decoder fed a stream that stops at a block boundary just stops: no error, the content
quietly incomplete. So after the data frame comes a *skippable frame* (RFC 8878, which every
decoder, the `zstd` CLI included, passes over) holding the uncompressed size; a restore that does
not end with a matching trailer fails instead of presenting half a workspace.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO, cast

import zstandard

LEVEL = 3
CHUNK = 1 << 20
TRAILER_MAGIC = 0x184D2A5B  # one of the 16 skippable-frame magic numbers
_TRAILER_TAG = b"BERTHTAR"
_TRAILER = struct.Struct("<II8sQ")  # magic, payload length, tag, uncompressed size


class StreamIncomplete(Exception):
    """The compressed stream is cut short or lacks its size trailer."""


def compress(chunks: Iterable[bytes], *, level: int = LEVEL, threads: int = -1) -> Iterator[bytes]:
    """`threads=-1` uses one worker per CPU; the data is still one standard frame."""
    compressor = zstandard.ZstdCompressor(level=level, threads=threads, write_checksum=True).compressobj()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush() + trailer(size)


def trailer(size: int) -> bytes:
    return _TRAILER.pack(TRAILER_MAGIC, _TRAILER.size - 8, _TRAILER_TAG, size)


def decompress(source: BinaryIO, *, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """Decompressed chunks of at most `chunk_size` bytes (a GB of zeros compresses to a few KB, so
    output must be bounded per read, not per input chunk); StreamIncomplete at the end when the
    size trailer is missing or disagrees."""
    tail = _TailKeeper(source, _TRAILER.size)
    # stream_reader only ever calls read(); the cast names the one method the wrapper provides.
    reader = zstandard.ZstdDecompressor().stream_reader(
        cast(BinaryIO, tail), read_size=chunk_size, read_across_frames=True
    )
    size = 0
    with reader:
        while chunk := reader.read(chunk_size):
            size += len(chunk)
            yield chunk
    tail.drain()
    expected = _size_in(tail.last)
    if expected is None:
        raise StreamIncomplete(f"no size trailer after {size} bytes: the stream was cut short")
    if expected != size:
        raise StreamIncomplete(f"the trailer promises {expected} bytes, the stream held {size}")


def _size_in(last: bytes) -> int | None:
    if len(last) < _TRAILER.size:
        return None
    magic, length, tag, size = _TRAILER.unpack(last[-_TRAILER.size:])
    if magic != TRAILER_MAGIC or length != _TRAILER.size - 8 or tag != _TRAILER_TAG:
        return None
    return int(size)


class _TailKeeper:
    """A reader that remembers the last `keep` bytes that passed through it."""

    def __init__(self, source: BinaryIO, keep: int) -> None:
        self.source = source
        self.keep = keep
        self.last = b""
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.consumed += len(data)
        self.last = (self.last + data[-self.keep:])[-self.keep:]
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass
