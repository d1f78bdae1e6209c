"""Retention on the real SQLite stores, fed by the real workspaces projection: an unpinned workspace stopped
for the retention period is deleted with the reason; a pinned one, a running one and one stopped a moment
ago are kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from domain.envelope import utc_now
from domain.workspace.events import InstanceRequested, PinChanged, WorkspaceDeleted
from handlers.runtime.handler import HandlerContext
from handlers.timeouts import TimeoutPolicy, TimeoutSweeper
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.store.sqlite import SqliteEventStore
from projections.runner import ProjectionRunner
from projections.workspaces import WorkspacesProjection
from schemas.codec import EventCodec
from tests.factories import CODEC, created, new_event, phase

UP = ["preparing", "scheduled", "creating", "initializing", "running"]
STOPPED = [*UP, "stopping", "stopped"]


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqliteEventStore, SqliteReadModelStore]]:
    store = await SqliteEventStore(tmp_path / "b.db").open()
    views = await SqliteReadModelStore(tmp_path / "b.db").open()
    yield store, views
    await views.close()
    await store.close()


async def workspace(store: SqliteEventStore, name: str, phases: list[str], pinned: bool = False) -> None:
    events = [created(name), new_event(InstanceRequested(instance_id="i1"))]
    if pinned:
        events.append(new_event(PinChanged(pinned=True)))
    await store.append(f"workspace-{name}", [*events, *(phase("i1", p) for p in phases)], 0)


async def test_only_the_unpinned_stopped_workspaces_are_deleted_with_the_reason(
        stores: tuple[SqliteEventStore, SqliteReadModelStore]) -> None:
    store, views = stores
    await workspace(store, "stopped", STOPPED)
    await workspace(store, "failed", [*UP[:2], "failed"])
    await workspace(store, "pinned", STOPPED, pinned=True)
    await workspace(store, "running", UP)
    await ProjectionRunner(WorkspacesProjection(), store, views, EventCodec()).catch_up()
    # Fractional days, as BERTH_RETENTION_DAYS allows: two seconds.
    sweeper = TimeoutSweeper(HandlerContext(store, EventCodec()), views,
                             TimeoutPolicy(retention=timedelta(days=2 / 86400)))

    assert await sweeper.delete_expired(utc_now()) == []  # stopped a moment ago
    later = utc_now() + timedelta(seconds=3)
    assert sorted(await sweeper.delete_expired(later)) == ["failed", "stopped"]
    for name, reason in (("stopped", "deleted: stopped for 2 seconds and not pinned"),
                         ("failed", "deleted: failed 2 seconds ago and not pinned")):
        last = (await store.read_stream(f"workspace-{name}"))[-1]
        decoded = CODEC.decode(last.envelope.type, last.envelope.schema, last.payload)
        assert isinstance(decoded, WorkspaceDeleted) and decoded.reason == reason
        assert last.envelope.actor == "timeouts"
    # The read model still lists them until it catches up; the streams say deleted: nothing twice.
    assert await sweeper.delete_expired(later) == []
    await ProjectionRunner(WorkspacesProjection(), store, views, EventCodec()).catch_up()
    assert sorted(d["id"] for d in await views.list("workspaces", "workspaces")) == ["pinned", "running"]


async def test_a_pin_the_read_model_has_not_seen_yet_still_keeps_the_workspace(
        stores: tuple[SqliteEventStore, SqliteReadModelStore]) -> None:
    store, views = stores
    await workspace(store, "just-pinned", STOPPED)
    await ProjectionRunner(WorkspacesProjection(), store, views, EventCodec()).catch_up()
    await store.append("workspace-just-pinned", [new_event(PinChanged(pinned=True))],
                       await store.stream_version("workspace-just-pinned"))
    sweeper = TimeoutSweeper(HandlerContext(store, EventCodec()), views,
                             TimeoutPolicy(retention=timedelta(seconds=1)))
    assert await sweeper.delete_expired(utc_now() + timedelta(seconds=5)) == []
    assert (await store.read_stream("workspace-just-pinned"))[-1].envelope.type == PinChanged.TYPE


async def test_an_unpinned_workspace_counts_from_when_it_stopped_not_from_the_unpin(
        stores: tuple[SqliteEventStore, SqliteReadModelStore]) -> None:
    store, views = stores
    await workspace(store, "was-pinned", STOPPED, pinned=True)
    await store.append("workspace-was-pinned", [new_event(PinChanged(pinned=False))],
                       await store.stream_version("workspace-was-pinned"))
    await ProjectionRunner(WorkspacesProjection(), store, views, EventCodec()).catch_up()
    doc = await views.get("workspaces", "workspaces", "was-pinned")
    assert doc is not None and doc["pinned"] is False and doc["stopped_at"] is not None
    sweeper = TimeoutSweeper(HandlerContext(store, EventCodec()), views,
                             TimeoutPolicy(retention=timedelta(seconds=1)))
    assert await sweeper.delete_expired(utc_now() + timedelta(seconds=2)) == ["was-pinned"]
