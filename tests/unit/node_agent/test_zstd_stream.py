"""zstd streams with a size trailer: round trips, bounded output, cut-short detection."""

from __future__ import annotations

import io

import pytest
import zstandard

from node_agent.content.zstd_stream import StreamIncomplete, compress, decompress

MiB = 1 << 20


def test_round_trip_of_many_chunks() -> None:
    chunks = [bytes([index % 256]) * (index * 997) for index in range(200)]
    compressed = b"".join(compress(chunks))
    assert b"".join(decompress(io.BytesIO(compressed))) == b"".join(chunks)


def test_an_empty_stream_round_trips() -> None:
    assert b"".join(decompress(io.BytesIO(b"".join(compress([]))))) == b""


def test_output_is_bounded_even_for_extreme_ratios() -> None:
    compressed = b"".join(compress([b"\0" * (64 * MiB)]))
    assert len(compressed) < 64 * 1024
    sizes = [len(chunk) for chunk in decompress(io.BytesIO(compressed), chunk_size=MiB)]
    assert sum(sizes) == 64 * MiB and max(sizes) <= MiB


def test_any_standard_decoder_reads_it() -> None:
    data = b"plain zstd " * 1000
    compressed = b"".join(compress([data]))
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(compressed), read_across_frames=True)
    assert reader.read() == data


@pytest.mark.parametrize("cut", [1, 8, 24, 25, 100, 5000])
def test_a_cut_short_stream_is_detected(cut: int) -> None:
    data = bytes(range(256)) * 40_000
    compressed = b"".join(compress([data]))
    with pytest.raises(StreamIncomplete):
        b"".join(decompress(io.BytesIO(compressed[:-cut])))


def test_garbage_is_not_a_stream() -> None:
    with pytest.raises((StreamIncomplete, zstandard.ZstdError)):
        b"".join(decompress(io.BytesIO(b"not zstd at all" * 10)))
