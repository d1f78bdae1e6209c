"""Small builders of real domain events for tests (encoded with the real codec)."""

from __future__ import annotations

import uuid

from domain.envelope import Cause
from domain.events import DomainEvent
from domain.workspace.events import InstancePhaseChanged, WorkspaceCreated
from infra.store.records import NewEvent
from schemas.codec import EventCodec

CODEC = EventCodec()


def new_event(event: DomainEvent, actor: str = "test", correlation_id: uuid.UUID | None = None) -> NewEvent:
    cause = Cause(actor) if correlation_id is None else Cause(actor, correlation_id)
    return NewEvent.of(CODEC.encode(event), cause)


def created(workspace_id: str = "amber-otter-k3x9qa", owner: str = "alice") -> NewEvent:
    return new_event(WorkspaceCreated(workspace_id=workspace_id, owner=owner,
                                      context_url=f"https://git.example/{owner}/{workspace_id}"))


def phase(instance_id: str = "i-1", phase: str = "preparing", reason: str | None = None) -> NewEvent:
    return new_event(InstancePhaseChanged(instance_id=instance_id, phase=phase, reason=reason))
