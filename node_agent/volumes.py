"""Workspace volumes: one per workspace, outliving instances until a backup is confirmed."""

from __future__ import annotations

import uuid

import docker.errors

from node_agent.engine import Engine, engine_errors, status_of
from node_agent.errors import VolumeInUse
from node_agent.instance import InstanceRef
from node_agent.naming import LABEL_NODE, LABEL_VOLUME_INCARNATION, LABEL_WORKSPACE


def volume_exists(engine: Engine, volume: str) -> bool:
    with engine_errors(f"inspecting volume {volume}"):
        try:
            engine.api.inspect_volume(volume)
        except docker.errors.NotFound:
            return False
    return True


def ensure_volume(engine: Engine, ref: InstanceRef, node: str) -> tuple[bool, str | None]:
    """Create the workspace volume unless it exists: (True when it existed already, its incarnation)."""
    with engine_errors(f"inspecting volume {ref.volume_name}"):
        try:
            info = engine.api.inspect_volume(ref.volume_name)
        except docker.errors.NotFound:
            info = None
    if info is not None:
        labels: dict[str, str] = info.get("Labels") or {}
        return True, labels.get(LABEL_VOLUME_INCARNATION)
    incarnation = uuid.uuid4().hex
    with engine_errors(f"creating volume {ref.volume_name}"):
        engine.api.create_volume(ref.volume_name, labels={
            LABEL_WORKSPACE: ref.workspace_id,
            LABEL_NODE: node,
            LABEL_VOLUME_INCARNATION: incarnation,
        })
    return False, incarnation


def volume_incarnation(engine: Engine, volume: str) -> str | None:
    """The random id the volume got when it was created (None: no volume, or not made by Berth)."""
    with engine_errors(f"inspecting volume {volume}"):
        try:
            info = engine.api.inspect_volume(volume)
        except docker.errors.NotFound:
            return None
    labels: dict[str, str] = info.get("Labels") or {}
    return labels.get(LABEL_VOLUME_INCARNATION)


def remove_volume(engine: Engine, volume: str) -> bool:
    """False when there was no such volume; VolumeInUse when a container still mounts it."""
    try:
        with engine_errors(f"removing volume {volume}"):
            try:
                engine.api.remove_volume(volume)
            except docker.errors.APIError as error:
                if status_of(error) == 409:
                    raise VolumeInUse(volume) from error
                raise
    except docker.errors.NotFound:
        return False
    return True
