"""The scheduler worker: an instance whose image is ready is placed on a node with room for it.

Berth's embedded mode has one node, the local Docker engine; the scheduler still decides (and says so in
the event's reason), so a second node is a change of this module only.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.envelope import Cause
from domain.events import Recorded
from domain.workspace.decider import AdvanceInstance, WorkspaceDecider
from domain.workspace.events import ImageReady
from domain.workspace.phases import Phase
from handlers.runtime.handler import HandlerContext
from infra.store.records import Append

NAME = "scheduler"


class SchedulerHandler:
    name = NAME
    event_types = frozenset({ImageReady.TYPE})

    def __init__(self, node: str) -> None:
        self._node = node

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        ready = event.payload
        assert isinstance(ready, ImageReady)
        decider = WorkspaceDecider()
        workspace = await context.load(event.envelope.stream_id, decider)
        state = workspace.state
        if state.instance_id != ready.instance_id or state.phase is not Phase.PREPARING:
            return []  # stopped meanwhile, replaced, or already scheduled (a redelivery)
        scheduled = decider.decide(state, AdvanceInstance(ready.instance_id, Phase.SCHEDULED, f"node {self._node}"))
        cause = Cause(NAME).following(event.envelope, NAME)
        return [context.append(event.envelope.stream_id, scheduled, workspace.version, cause)]
