"""Names and labels of what the node agent creates in the engine, derived from ids alone so a
restarted agent finds everything again without any state of its own."""

from __future__ import annotations

import hashlib
import re

from domain.errors import InvalidInput
from domain.workspace.ids import is_workspace_id

LABEL_WORKSPACE = "berth.workspace"
LABEL_INSTANCE = "berth.instance"
LABEL_NODE = "berth.node"
LABEL_CLASS = "berth.class"
# A random value given to each volume when it is created (labels cannot change later): content
# markers name it, so a marker copied in from an older volume's backup is never mistaken for one.
LABEL_VOLUME_INCARNATION = "berth.volume-incarnation"

SUPERVISOR_PORT = 22999
WORKSPACE_DIR = "/workspace"

# Safe as a Docker name part and as a blob key segment.
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_UUID_HEX = re.compile(r"^[0-9a-f]{32}$")
_NODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def check_workspace_id(workspace_id: str) -> str:
    if not is_workspace_id(workspace_id):
        raise InvalidInput(f"workspace id {workspace_id!r} is not a DNS label of lowercase letters, digits and '-'",
                           field="workspace_id")
    return workspace_id


def check_instance_id(instance_id: str) -> str:
    if not _INSTANCE_ID.fullmatch(instance_id):
        raise InvalidInput(f"instance id {instance_id!r} must be letters, digits, '_', '.', '-' (at most 128)",
                           field="instance_id")
    return instance_id


def check_node(node: str) -> str:
    if not _NODE.fullmatch(node):
        raise InvalidInput(f"node name {node!r} must be letters, digits, '_', '.', '-' (at most 63)", field="node")
    return node


def instance_short(instance_id: str) -> str:
    """A short, name-safe form of an instance id: a UUID's first 8 hex digits (as people abbreviate
    them), a short id as it is, any other long id as a digest (prefixes of sequential ids collide)."""
    compact = re.sub(r"[^a-z0-9]", "", instance_id.lower())
    if _UUID_HEX.fullmatch(compact):
        return compact[:8]
    if len(compact) <= 12 and compact == instance_id:
        return compact
    return hashlib.sha256(instance_id.encode()).hexdigest()[:10]


def container_name(workspace_id: str, instance_id: str) -> str:
    return f"berth-{workspace_id}-{instance_short(instance_id)}"


def volume_name(workspace_id: str) -> str:
    return f"berth-ws-{workspace_id}"


def backup_prefix(workspace_id: str) -> str:
    return f"backups/{workspace_id}/"


def backup_key(workspace_id: str, instance_id: str) -> str:
    return f"{backup_prefix(workspace_id)}{instance_id}.tar.zst"
