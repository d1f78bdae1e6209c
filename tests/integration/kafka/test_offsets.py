"""The per-partition commit point when events finish out of order (pure; lives beside the Kafka tests
it supports)."""

from __future__ import annotations

import pytest

from infra.kafka.offsets import PartitionProgress


def test_nothing_to_commit_until_the_first_delivered_is_done() -> None:
    progress = PartitionProgress()
    for offset in (10, 11, 12):
        progress.delivered(offset)
    progress.finished(11)
    progress.finished(12)
    assert progress.commit_offset is None
    assert progress.in_flight == 1
    progress.finished(10)
    assert progress.commit_offset == 13
    assert progress.in_flight == 0


def test_the_commit_point_moves_only_past_a_done_prefix() -> None:
    progress = PartitionProgress()
    for offset in range(10):
        progress.delivered(offset)
    for offset in (0, 1, 2, 5, 6, 9):
        progress.finished(offset)
    assert progress.commit_offset == 3
    progress.finished(4)
    assert progress.commit_offset == 3
    progress.finished(3)
    assert progress.commit_offset == 7
    assert progress.in_flight == 2


def test_gaps_in_offsets_are_fine() -> None:
    """Compaction and transaction markers leave holes; only delivered offsets count."""
    progress = PartitionProgress()
    for offset in (3, 7, 8):
        progress.delivered(offset)
    progress.finished(3)
    assert progress.commit_offset == 4
    progress.finished(8)
    progress.finished(7)
    assert progress.commit_offset == 9


def test_done_twice_counts_once() -> None:
    progress = PartitionProgress()
    progress.delivered(0)
    progress.delivered(1)
    progress.finished(1)
    progress.finished(1)
    progress.finished(0)
    progress.finished(0)
    assert progress.commit_offset == 2


def test_out_of_order_delivery_or_unknown_offsets_are_bugs() -> None:
    progress = PartitionProgress()
    progress.delivered(5)
    with pytest.raises(ValueError, match="delivered after"):
        progress.delivered(5)
    with pytest.raises(ValueError, match="not delivered"):
        progress.finished(6)
    progress.finished(5)
    with pytest.raises(ValueError, match="delivered after"):
        progress.delivered(4)
