"""A realistic global log for the transport tests: several workspace streams appended interleaved."""

from __future__ import annotations

import uuid

from domain.envelope import Cause
from domain.workspace.events import InstancePhaseChanged, WorkspaceCreated
from infra.store.contract import EventStore
from infra.store.records import NewEvent, StoredEvent
from schemas.codec import EventCodec

CODEC = EventCodec()
PHASES = ("pending", "preparing", "scheduled", "creating", "initializing", "running", "stopping", "stopped")


def stream_ids(streams: int) -> list[str]:
    return [f"workspace-w{index:03d}-{uuid.uuid4().hex[:6]}" for index in range(streams)]


async def append_history(store: EventStore, streams: int = 5, per_stream: int = 4) -> list[StoredEvent]:
    """`streams` workspaces, each created then moved through phases, appended round-robin so the
    global log interleaves them. Later events are caused by the one before (causation id set)."""
    ids = stream_ids(streams)
    causes = {stream_id: Cause("test") for stream_id in ids}
    stored: list[StoredEvent] = []
    for version in range(per_stream):
        for stream_id in ids:
            workspace_id = stream_id.removeprefix("workspace-")
            payload = (
                WorkspaceCreated(workspace_id=workspace_id, owner="alice",
                                 context_url=f"https://git.example/alice/{workspace_id}")
                if version == 0
                else InstancePhaseChanged(instance_id=f"{workspace_id}-i1",
                                          phase=PHASES[version % len(PHASES)])
            )
            [event] = await store.append(stream_id, [NewEvent.of(CODEC.encode(payload), causes[stream_id])],
                                         version)
            causes[stream_id] = causes[stream_id].following(event.envelope, "test")
            stored.append(event)
    return stored
