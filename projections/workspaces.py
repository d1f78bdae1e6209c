"""The workspaces read model: one document per workspace with its current instance and phase."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.events import Recorded
from domain.workspace.events import (
    InstancePhaseChanged,
    InstanceRequested,
    WorkspaceCreated,
    WorkspaceDeleted,
)
from infra.readmodel.contract import Doc, DocKey

COLLECTION = "workspaces"


class WorkspacesProjection:
    name = "workspaces"
    event_types = frozenset(
        {WorkspaceCreated.TYPE, InstanceRequested.TYPE, InstancePhaseChanged.TYPE, WorkspaceDeleted.TYPE}
    )

    def keys(self, event: Recorded) -> Sequence[DocKey]:
        return [DocKey(COLLECTION, event.envelope.stream_id.removeprefix("workspace-"))]

    def apply(self, event: Recorded, docs: Mapping[DocKey, Doc | None]) -> dict[DocKey, Doc | None]:
        (key,) = self.keys(event)
        doc, payload = docs.get(key), event.payload
        at = event.envelope.occurred_at.isoformat()
        if isinstance(payload, WorkspaceCreated):
            doc = {
                "id": payload.workspace_id, "owner": payload.owner, "context_url": payload.context_url,
                "workspace_class": payload.workspace_class, "instance_id": None, "phase": None,
                "reason": None, "created_at": at,
            }
        elif doc is None:
            return {}  # an event for a workspace this read model never saw created: nothing to update
        elif isinstance(payload, InstanceRequested):
            doc = {**doc, "instance_id": payload.instance_id, "phase": "pending", "reason": None}
        elif isinstance(payload, InstancePhaseChanged):
            doc = {**doc, "phase": payload.phase, "reason": payload.reason}
        elif isinstance(payload, WorkspaceDeleted):
            return {key: None}
        return {key: {**doc, "version": event.envelope.version, "updated_at": at}}
