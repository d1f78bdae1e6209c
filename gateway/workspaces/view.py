"""A workspace as the API shows it: the read model's document plus the URLs that reach it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.events import Recorded
from infra.readmodel.contract import Doc
from projections.workspaces import WorkspacesProjection, port_visibility

# Internal to the platform: where the supervisor is published and which container runs it.
_INTERNAL = ("supervisor_port", "container_id", "node")
# Never shown, not even to admins: the supervisor's secret opens every port of the workspace.
_SECRET = ("supervisor_token",)


@dataclass(frozen=True, slots=True)
class Urls:
    domain: str
    gateway_port: int
    ide_port: int

    def authority(self, label: str) -> str:
        return f"{label}.ws.{self.domain}:{self.gateway_port}"

    def ide(self, workspace_id: str) -> str:
        return f"http://{self.authority(workspace_id)}/"

    def port(self, workspace_id: str, port: int) -> str:
        return f"http://{self.authority(f'{port}-{workspace_id}')}/"


def ports_of(doc: Doc, urls: Urls) -> list[dict[str, Any]]:
    listening = set(doc.get("listening", []))
    named = {p["port"]: p.get("name") for p in doc.get("config_ports", [])}
    chosen = {int(p) for p in doc.get("visibility", {})}
    return [{"port": port, "name": named.get(port), "visibility": port_visibility(doc, port),
             "listening": port in listening, "url": urls.port(str(doc["id"]), port)}
            for port in sorted(listening | set(named) | chosen)]


def workspace_view(doc: Doc, urls: Urls, *, internals: bool = False) -> dict[str, Any]:
    """Admins see the internals too (which node and container, for support)."""
    shown = {k: v for k, v in doc.items() if k not in _SECRET and (internals or k not in _INTERNAL)}
    # Documents from before pinning existed have no `pinned`: they are not pinned.
    return {**shown, "pinned": bool(doc.get("pinned", False)), "url": urls.ide(str(doc["id"])),
            "ports": ports_of(doc, urls)}


def doc_from_history(history: Sequence[Recorded]) -> Doc | None:
    """The read model's document folded straight from the stream: what the read model will show once it has
    caught up, so a command's answer never lags behind the command."""
    projection = WorkspacesProjection()
    doc: Doc | None = None
    for event in history:
        if event.envelope.type not in projection.event_types:
            continue
        (key,) = projection.keys(event)
        doc = projection.apply(event, {key: doc}).get(key, doc)
    return doc
