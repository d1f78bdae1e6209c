"""The batch parts of the event store contract (a busy worker's tracking lookups and commits), run against
SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from domain.errors import StreamConflict
from infra.store.contract import EventStore
from infra.store.records import Append, Tracking
from tests.factories import created, phase


async def test_tracked_names_the_positions_with_tracking_records(store: EventStore) -> None:
    await store.commit([], Tracking("worker", 3))
    await store.commit([], Tracking("worker", 7))
    await store.commit([], Tracking("other", 5))
    assert await store.tracked("worker", [1, 3, 5, 7, 9]) == {3, 7}
    assert await store.tracked("worker", []) == set()


async def test_commits_without_effects_are_tracked_together_except_those_already_tracked(
    store: EventStore,
) -> None:
    await store.commit([], Tracking("worker", 2))
    results = await store.commit_tracked([([], Tracking("worker", n)) for n in (1, 2, 3, 3)])
    assert results == [[], None, [], None]  # the same record twice in one batch: only the first is new
    assert await store.tracked("worker", [1, 2, 3, 4]) == {1, 2, 3}


async def test_commits_are_tracked_with_their_effects_in_one_transaction(store: EventStore) -> None:
    await store.commit([Append("workspace-b", (created("b"),), 0)], Tracking("worker", 2))
    results = await store.commit_tracked([
        ([Append("workspace-a", (created("a"), phase()), 0)], Tracking("worker", 1)),
        ([Append("workspace-x", (created("x"),), 0)], Tracking("worker", 2)),  # handled before
        ([Append("workspace-c", (created("c"),), 0), Append("workspace-d", (created("d"),), 0)],
         Tracking("worker", 3)),
    ])
    first, skipped, third = results
    assert skipped is None
    assert first is not None and [(e.stream_id, e.envelope.version) for e in first] == [
        ("workspace-a", 1), ("workspace-a", 2)]
    assert third is not None and [e.stream_id for e in third] == ["workspace-c", "workspace-d"]
    assert await store.read_stream("workspace-x") == []
    assert [e.position for e in await store.read_stream("workspace-a")] == [e.position for e in first]
    assert await store.tracked("worker", [1, 2, 3]) == {1, 2, 3}


async def test_one_conflicting_commit_writes_none_of_the_batch(store: EventStore) -> None:
    await store.append("workspace-b", [created("b")], expected_version=0)
    with pytest.raises(StreamConflict):
        await store.commit_tracked([
            ([Append("workspace-a", (created("a"),), 0)], Tracking("worker", 1)),
            ([Append("workspace-b", (phase(),), 0)], Tracking("worker", 2)),  # stale: b is at 1
        ])
    assert await store.read_stream("workspace-a") == []
    assert await store.tracked("worker", [1, 2]) == set()
    assert await store.head_position() == 1


async def test_a_writer_commit_over_several_streams_and_its_retry(store: EventStore) -> None:
    appends = [Append("workspace-a", (created("a"), phase()), 0), Append("workspace-b", (created("b"),), 0)]
    stored = await store.commit(appends)
    assert [(e.stream_id, e.envelope.version) for e in stored] == [
        ("workspace-a", 1), ("workspace-a", 2), ("workspace-b", 1)]
    assert [e.position for e in stored] == sorted(e.position for e in stored)
    assert await store.commit(appends) == stored  # a retry of the committed commit adds nothing
    assert await store.head_position() == 3
    with pytest.raises(StreamConflict):  # one stream moved on: nothing of the commit is written
        await store.commit([Append("workspace-c", (created("c"),), 0), Append("workspace-b", (phase(),), 0)])
    assert await store.read_stream("workspace-c") == []
