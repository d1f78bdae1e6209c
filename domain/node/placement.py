"""Which node an instance goes to: one with room, the emptiest first (spreading load; ties by name, so the
choice is deterministic), or none, with the reason the user sees."""

from __future__ import annotations

from collections.abc import Sequence

from domain.node.decider import NodeState


def choose_node(nodes: Sequence[NodeState]) -> NodeState | None:
    with_room = [n for n in nodes if n.registered and n.running < n.capacity]
    if not with_room:
        return None
    return min(with_room, key=lambda n: (-n.free, str(n.name)))


def no_room_reason(nodes: Sequence[NodeState]) -> str:
    registered = sorted((n for n in nodes if n.registered), key=lambda n: str(n.name))
    if not registered:
        return "no node has room: no node is registered"
    return "no node has room: " + ", ".join(f"{n.name} runs {n.running} of {n.capacity}" for n in registered)
