"""Events of a node's stream (`node-<name>`); each mirrors `schemas/avro/<TYPE>/`.

The stream is the node's registration (what it is and how many instances it takes) and its placements
(which instances the scheduler put on it and has not released yet): the scheduler decides on it, so two
placements racing for the last slot meet at the stream's version and one of them is decided again.
"""

from __future__ import annotations

from typing import ClassVar

from domain.events import DomainEvent


class NodeRegistered(DomainEvent):
    """A node agent started and its facts differ from what the stream said (or it never registered)."""

    TYPE: ClassVar[str] = "node.registered"
    name: str
    cpus: int
    memory_bytes: int
    capacity: int
    """How many workspace instances may run on the node at once."""


class InstancePlaced(DomainEvent):
    """The scheduler put an instance on the node; it counts against the capacity until released."""

    TYPE: ClassVar[str] = "node.instance_placed"
    workspace_id: str
    instance_id: str


class InstanceReleased(DomainEvent):
    """A placed instance stopped, failed or its workspace was deleted: its slot is free again."""

    TYPE: ClassVar[str] = "node.instance_released"
    workspace_id: str
    instance_id: str
    reason: str | None = None
