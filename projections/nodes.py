"""The nodes read model: one document per node, its registration (CPUs, memory, capacity) and the instances
placed on it and not released yet (`running`), for the admins' view of where workspaces run.

Built from the node streams, where the scheduler records each placement and release as it decides them
(from the workspace events: `scheduled` places, `stopped`/`failed`/deletion releases), so `running` is the
count the scheduler itself decides by, not a second derivation that could disagree with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.events import Recorded
from domain.node import events as nd
from infra.readmodel.contract import Doc, DocKey

PROJECTION = "nodes"
COLLECTION = "nodes"


def node_name_of(event: Recorded) -> str:
    return event.envelope.stream_id.removeprefix("node-")


class NodesProjection:
    name = PROJECTION
    event_types = frozenset(cls.TYPE for cls in (nd.NodeRegistered, nd.InstancePlaced, nd.InstanceReleased))

    def keys(self, event: Recorded) -> Sequence[DocKey]:
        return [DocKey(COLLECTION, node_name_of(event))]

    def apply(self, event: Recorded, docs: Mapping[DocKey, Doc | None]) -> dict[DocKey, Doc | None]:
        (key,) = self.keys(event)
        doc, payload = docs.get(key), event.payload
        at = event.envelope.occurred_at.isoformat()
        if isinstance(payload, nd.NodeRegistered):
            doc = {"instances": [], **(doc or {}), "name": payload.name, "cpus": payload.cpus,
                   "memory_bytes": payload.memory_bytes, "capacity": payload.capacity, "registered_at": at}
        elif doc is None:
            return {}  # a placement on a node this read model never saw registered
        elif isinstance(payload, nd.InstancePlaced):
            placed = {"workspace_id": payload.workspace_id, "instance_id": payload.instance_id}
            doc = {**doc, "instances": sorted([*_others(doc, placed), placed],
                                              key=lambda p: (p["workspace_id"], p["instance_id"]))}
        elif isinstance(payload, nd.InstanceReleased):
            released = {"workspace_id": payload.workspace_id, "instance_id": payload.instance_id}
            doc = {**doc, "instances": _others(doc, released)}
        return {key: {**doc, "running": len(doc["instances"]), "version": event.envelope.version,
                      "updated_at": at}}


def _others(doc: Doc, placement: dict[str, str]) -> list[dict[str, str]]:
    return [p for p in doc["instances"] if p != placement]


def node_view(doc: Doc) -> dict[str, object]:
    """What the API shows of a node."""
    return {"name": doc["name"], "cpus": doc["cpus"], "memory_bytes": doc["memory_bytes"],
            "capacity": doc["capacity"], "running": doc["running"], "registered_at": doc["registered_at"]}
