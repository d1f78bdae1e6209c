"""A real handler for runtime tests: for each workspace event it appends one record to its own effects
stream for that source stream (`effects-<name>.<stream>`), at that stream's current version, so a double
effect would show as two records. One effects stream per source keeps concurrent streams from contending."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from domain.envelope import Cause
from domain.events import Recorded
from domain.workspace.events import InstancePhaseChanged, WorkspaceCreated, WorkspaceDeleted
from handlers.runtime.handler import HandlerContext
from infra.store.records import Append


@dataclass
class EchoHandler:
    name: str = "echo"
    event_types: frozenset[str] = frozenset({WorkspaceCreated.TYPE, InstancePhaseChanged.TYPE})
    before_commit: Callable[[Recorded], object] | None = None  # may raise, sleep or record
    seen: list[tuple[str, int]] = field(default_factory=list)

    def effects_stream(self, source_stream: str) -> str:
        return f"effects-{self.name}.{source_stream}"

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        self.seen.append((event.envelope.stream_id, event.envelope.version))
        if self.before_commit is not None:
            outcome = self.before_commit(event)
            if asyncio.iscoroutine(outcome):
                await outcome
        effects = self.effects_stream(event.envelope.stream_id)
        version = await context.store.stream_version(effects)
        # An event type the handler does not subscribe to, so its own effects never feed back into it.
        record = WorkspaceDeleted(reason=f"{event.envelope.stream_id}@{event.envelope.version}")
        return [context.append(effects, [record], version, Cause(self.name).following(
            event.envelope, self.name))]
