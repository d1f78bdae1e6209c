"""What the node agent needs to know about an instance, read from its workspace's stream."""

from __future__ import annotations

from dataclasses import dataclass

from domain.config import WorkspaceConfig
from domain.workspace.events import (
    BackupCompleted,
    ConfigResolved,
    ContainerCreated,
    ContextResolved,
    ImageReady,
    InstancePhaseChanged,
)
from domain.workspace.phases import Phase
from handlers.runtime.handler import HandlerContext


@dataclass
class InstanceFacts:
    instance_id: str
    config: WorkspaceConfig | None = None
    context: ContextResolved | None = None
    image: str | None = None
    container: ContainerCreated | None = None
    scheduled_on: str | None = None
    """The node the scheduler placed the instance on (its `scheduled` reason, `node <name>`); None = never placed."""
    last_backup: str | None = None
    """The newest confirmed backup of the workspace (any instance): what a new instance restores."""


async def facts_of(context: HandlerContext, stream_id: str, instance_id: str) -> InstanceFacts:
    facts = InstanceFacts(instance_id)
    for stored in await context.store.read_stream(stream_id):
        kind = stored.envelope.type
        if kind not in _WANTED:
            continue
        event = context.codec.decode(kind, stored.envelope.schema, stored.payload)
        if isinstance(event, BackupCompleted):
            facts.last_backup = event.blob
        elif getattr(event, "instance_id", None) != instance_id:
            continue
        elif isinstance(event, ConfigResolved):
            facts.config = WorkspaceConfig.model_validate_json(event.config)
        elif isinstance(event, ContextResolved):
            facts.context = event
        elif isinstance(event, ImageReady):
            facts.image = event.image
        elif isinstance(event, ContainerCreated):
            facts.container = event
        elif isinstance(event, InstancePhaseChanged) and event.phase == Phase.SCHEDULED and event.reason:
            facts.scheduled_on = event.reason.removeprefix(SCHEDULED_ON)
    return facts


SCHEDULED_ON = "node "
"""How the scheduler's `scheduled` reason names the node (handlers/scheduler.py)."""

_WANTED = frozenset(cls.TYPE for cls in (BackupCompleted, ConfigResolved, ContextResolved, ImageReady,
                                         ContainerCreated, InstancePhaseChanged))
