"""Which workspace and port a Host header names (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.workspace.ids import is_workspace_id
from gateway.auth.cookies import host_without_port

_PORT_PREFIX = re.compile(r"^([0-9]{1,5})-(.+)$")


@dataclass(frozen=True, slots=True)
class WorkspaceTarget:
    workspace_id: str
    port: int | None
    """None: the IDE host, `<wsid>.ws.<domain>`."""

    @property
    def is_ide(self) -> bool:
        return self.port is None


def workspace_host_suffix(domain: str) -> str:
    return f".ws.{domain.strip('.').lower()}"


def parse_workspace_host(host: str, domain: str) -> WorkspaceTarget | None:
    """None when the host is not below `ws.<domain>` (the API's hosts); InvalidInput when it is, but names
    no workspace: such a request must not fall through to the API."""
    name = host_without_port(host)
    suffix = workspace_host_suffix(domain)
    if not name.endswith(suffix):
        return None
    label = name[: -len(suffix)]
    if "." in label or not label:
        raise InvalidInput(f"{name!r} is not a workspace host: <port>-<workspace id>{suffix} or "
                           f"<workspace id>{suffix}", field="host")
    match = _PORT_PREFIX.match(label)
    if match is not None:
        port, workspace_id = int(match.group(1)), match.group(2)
        if not 1 <= port <= 65535:
            raise InvalidInput(f"port {port} is out of range", field="host")
        if is_workspace_id(workspace_id):
            return WorkspaceTarget(workspace_id, port)
    elif is_workspace_id(label):
        return WorkspaceTarget(label, None)
    raise InvalidInput(f"{label!r} names no workspace (ids look like amber-otter-k3x9qa)", field="host")


def gateway_port_of(host: str) -> int | None:
    """The port the client used to reach the gateway, from its Host header (for links back to it)."""
    name = host_without_port(host)
    rest = host.strip()[len(name):]
    if rest.startswith(":") and rest[1:].isdigit():
        return int(rest[1:])
    return None
