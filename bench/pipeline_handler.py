"""The benchmark's handler: notes when each event reaches it, and records nothing but its tracking row.

Returning no appends still makes the runtime commit the handler's tracking record (the effect that
makes redelivery harmless), so every handled event costs one store transaction, as a real handler's
would. No effect events: in the distributed run the relay would publish them too, and the figures
would measure a doubled log rather than the pipeline.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from domain.events import Recorded
from domain.workspace.events import InstancePhaseChanged, InstanceRequested, WorkspaceCreated, WorkspaceDeleted
from handlers.runtime.handler import HandlerContext
from infra.store.records import Append

WORKSPACE_TYPES = frozenset(
    {WorkspaceCreated.TYPE, InstanceRequested.TYPE, InstancePhaseChanged.TYPE, WorkspaceDeleted.TYPE}
)


@dataclass
class TimingHandler:
    name: str
    clock: Callable[[], float]
    event_types: frozenset[str] = WORKSPACE_TYPES
    received: dict[uuid.UUID, float] = field(default_factory=dict)
    """Event id -> clock() when the handler first received the event."""
    on_first: Callable[[], None] | None = None
    expected: int | None = None
    all_received: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once `expected` distinct events have been received."""

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        event_id = event.envelope.event_id
        if event_id not in self.received:
            self.received[event_id] = self.clock()
            if len(self.received) == 1 and self.on_first is not None:
                self.on_first()
            if self.expected is not None and len(self.received) >= self.expected:
                self.all_received.set()
        return []
