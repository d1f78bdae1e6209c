"""What the creation panel shows of a start that was under way before the page opened (a reload, another tab):
the current instance's workspace events from its request on, and its image build's events from the build's
start on, in the shapes of the dashboard stream's `workspace` and `build` messages.

The page reads this after its stream said `ready` (at position P): everything up to P is here, everything
after P comes through the stream, and what is in both (stored between the two reads) is told apart by its
version (workspace events) and position (build events). So the panel shows the whole build log from its
first line, then live, without a gap or a line twice.
"""

from __future__ import annotations

from typing import Any

from domain.workspace.events import InstanceRequested
from gateway.aggregates import decode
from gateway.dashboard.stream import build_data, workspace_data
from gateway.workspaces.logs import build_events
from gateway.workspaces.service import stream_of
from infra.store.contract import EventStore
from schemas.codec import EventCodec


async def start_history(store: EventStore, codec: EventCodec, workspace_id: str,
                        instance_id: str | None) -> dict[str, Any]:
    """`{"workspace": [...], "build": [...]}`: the instance's workspace events and its build's events so far,
    each list in stream order (empty for a workspace never started)."""
    if instance_id is None:
        return {"workspace": [], "build": []}
    recorded = [decode(codec, stored) for stored in await store.read_stream(stream_of(workspace_id))]
    # The events of earlier instances would replay their steps (and their end) into this start's panel.
    requested = [i for i, event in enumerate(recorded)
                 if isinstance(event.payload, InstanceRequested) and event.payload.instance_id == instance_id]
    current = recorded[requested[-1]:] if requested else []
    build = await build_events(store, codec, workspace_id, instance_id)
    return {"workspace": [workspace_data(event, workspace_id) for event in current],
            "build": [build_data(event, workspace_id, instance_id) for event in build]}
