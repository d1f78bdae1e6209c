"""The timeouts sweeper on the real SQLite stores, fed by the real workspaces projection."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from domain.envelope import utc_now
from domain.workspace.events import InstanceRequested
from handlers.runtime.handler import HandlerContext
from handlers.timeouts import TimeoutPolicy, TimeoutSweeper
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.store.sqlite import SqliteEventStore
from projections.runner import ProjectionRunner
from projections.workspaces import WorkspacesProjection
from schemas.codec import EventCodec
from tests.factories import CODEC, created, new_event, phase

RUNNING = ["preparing", "scheduled", "creating", "initializing", "running"]


async def test_an_idle_running_workspace_is_stopped_once_with_the_reason(tmp_path: Path) -> None:
    store = await SqliteEventStore(tmp_path / "b.db").open()
    views = await SqliteReadModelStore(tmp_path / "b.db").open()
    try:
        await store.append("workspace-idle", [created("idle"), new_event(InstanceRequested(instance_id="i1")),
                                              *(phase("i1", p) for p in RUNNING)], 0)
        await store.append("workspace-busy", [created("busy"), new_event(InstanceRequested(instance_id="i1")),
                                              *(phase("i1", p) for p in RUNNING[:3])], 0)
        await ProjectionRunner(WorkspacesProjection(), store, views, EventCodec()).catch_up()
        sweeper = TimeoutSweeper(HandlerContext(store, EventCodec()), views,
                                 TimeoutPolicy(inactivity=timedelta(minutes=30)))

        assert await sweeper.sweep(utc_now()) == []
        later = utc_now() + timedelta(minutes=31)
        assert await sweeper.sweep(later) == ["idle"]
        last = (await store.read_stream("workspace-idle"))[-1]
        decoded = CODEC.decode(last.envelope.type, last.envelope.schema, last.payload)
        assert decoded.phase == "stopping" and decoded.reason == "stopped: inactive for 30 min"  # type: ignore[attr-defined]
        assert last.envelope.actor == "timeouts"
        # The read model still says running until it catches up; the stream says stopping: no second stop.
        assert await sweeper.sweep(later) == []
    finally:
        await views.close()
        await store.close()
