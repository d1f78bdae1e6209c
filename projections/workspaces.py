"""The workspaces read model: one document per workspace, everything the API, the dashboard and the
proxy need to know about it now (its current instance, phase, ports, tasks, last backup)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from domain.events import Recorded
from domain.workspace import events as ws
from domain.workspace.phases import Phase
from infra.readmodel.contract import Doc, DocKey

COLLECTION = "workspaces"
PROJECTION = "workspaces"


def _instance_reset(doc: Doc, instance_id: str) -> Doc:
    """What a new instance starts from: nothing of the previous run but the workspace's own facts."""
    return {**doc, "instance_id": instance_id, "phase": "pending", "reason": None, "node": None,
            "container_id": None, "supervisor_port": None, "tasks": [], "listening": [],
            "image": None, "content_source": None, "stopped_at": None}


class WorkspacesProjection:
    name = PROJECTION
    event_types = frozenset(
        cls.TYPE for cls in (
            ws.WorkspaceCreated, ws.InstanceRequested, ws.InstancePhaseChanged, ws.WorkspaceDeleted,
            ws.ContextResolved, ws.ConfigResolved, ws.ImageReady, ws.ContainerCreated, ws.ContentInitialized,
            ws.PortsChanged, ws.PortVisibilityChanged, ws.TaskChanged, ws.ActivityRecorded,
            ws.BackupCompleted, ws.BackupFailed, ws.PinChanged,
        )
    )

    def keys(self, event: Recorded) -> Sequence[DocKey]:
        return [DocKey(COLLECTION, event.envelope.stream_id.removeprefix("workspace-"))]

    def apply(self, event: Recorded, docs: Mapping[DocKey, Doc | None]) -> dict[DocKey, Doc | None]:
        (key,) = self.keys(event)
        doc, payload = docs.get(key), event.payload
        at = event.envelope.occurred_at.isoformat()
        if isinstance(payload, ws.WorkspaceCreated):
            doc = _instance_reset({
                "id": payload.workspace_id, "owner": payload.owner, "context_url": payload.context_url,
                "workspace_class": payload.workspace_class, "ide": payload.ide, "created_at": at, "commit": None,
                "clone_url": None, "ref": None, "config_ports": [], "visibility": {}, "last_backup": None,
                "backup_failed": None, "last_activity_at": at, "instance_started_at": None,
                "pinned": False,
            }, "")
            doc["instance_id"] = None
            doc["phase"] = None
        elif doc is None:
            return {}  # an event for a workspace this read model never saw created: nothing to update
        elif isinstance(payload, ws.WorkspaceDeleted):
            return {key: None}
        else:
            doc = self._update(doc, payload, at)
        return {key: {**doc, "version": event.envelope.version, "updated_at": at}}

    @staticmethod
    def _update(doc: Doc, payload: Any, at: str) -> Doc:
        if isinstance(payload, ws.InstanceRequested):
            return {**_instance_reset(doc, payload.instance_id), "last_activity_at": at, "instance_started_at": at}
        if isinstance(payload, ws.PinChanged):
            return {**doc, "pinned": payload.pinned}
        if getattr(payload, "instance_id", doc.get("instance_id")) != doc.get("instance_id"):
            return doc  # a late event of an earlier instance: the current one is what the doc shows
        if isinstance(payload, ws.InstancePhaseChanged):
            # When the instance ended (stopped or failed): the retention period of an unpinned workspace runs
            # from there.
            ended = at if payload.phase in (Phase.STOPPED, Phase.FAILED) else None
            return {**doc, "phase": payload.phase, "reason": payload.reason, "stopped_at": ended}
        if isinstance(payload, ws.ContextResolved):
            return {**doc, "clone_url": payload.clone_url, "ref": payload.ref, "commit": payload.commit}
        if isinstance(payload, ws.ConfigResolved):
            config = json.loads(payload.config)
            ports = [{"port": p["port"], "name": p.get("name"), "visibility": p.get("visibility", "private")}
                     for p in config.get("ports", [])]
            return {**doc, "config_ports": ports, "config_warnings": payload.warnings}
        if isinstance(payload, ws.ImageReady):
            return {**doc, "image": payload.image}
        if isinstance(payload, ws.ContainerCreated):
            return {**doc, "node": payload.node, "container_id": payload.container_id,
                    "supervisor_port": payload.supervisor_port}
        if isinstance(payload, ws.ContentInitialized):
            return {**doc, "content_source": payload.source}
        if isinstance(payload, ws.PortsChanged):
            return {**doc, "listening": sorted(payload.ports)}
        if isinstance(payload, ws.PortVisibilityChanged):
            return {**doc, "visibility": {**doc["visibility"], str(payload.port): payload.visibility}}
        if isinstance(payload, ws.TaskChanged):
            tasks = [t for t in doc["tasks"] if t["index"] != payload.index]
            tasks.append({"index": payload.index, "name": payload.name, "phase": payload.phase,
                          "exit_code": payload.exit_code})
            return {**doc, "tasks": sorted(tasks, key=lambda t: t["index"])}
        if isinstance(payload, ws.ActivityRecorded):
            return {**doc, "last_activity_at": at}
        if isinstance(payload, ws.BackupCompleted):
            return {**doc, "backup_failed": None, "last_backup": {
                "blob": payload.blob, "bytes": payload.bytes, "seconds": payload.seconds, "at": at}}
        if isinstance(payload, ws.BackupFailed):
            return {**doc, "backup_failed": payload.reason}
        return doc


def port_visibility(doc: Doc, port: int) -> str:
    """A port's visibility: the owner's choice, else the config's, else private."""
    chosen = doc.get("visibility", {}).get(str(port))
    if chosen is not None:
        return str(chosen)
    for configured in doc.get("config_ports", []):
        if configured["port"] == port:
            return str(configured["visibility"])
    return "private"
