"""How many workspace instances a node takes when BERTH_NODE_CAPACITY does not say.

Counted in instances of the default class, the one most workspaces use. Its limits are caps, not
reservations, and a development environment idles most of the time: CPU time is shared by the kernel's
scheduler, so CPUs are overcommitted freely (as Gitpod does); memory is what takes a node down when
exhausted, so it is overcommitted only twofold (an idle workspace uses a fraction of its limit, a busy
one is OOM-killed at its limit, never the node).
"""

from __future__ import annotations

from collections.abc import Mapping

from node_agent.workspace_classes import WORKSPACE_CLASSES, WorkspaceClass

CPU_OVERCOMMIT = 8
MEMORY_OVERCOMMIT = 2
SIZING_CLASS = "default"


def default_capacity(cpus: int, memory_bytes: int,
                     classes: Mapping[str, WorkspaceClass] = WORKSPACE_CLASSES) -> int:
    """At least 1: a node too small for one default workspace still runs small ones, one at a time."""
    sizing = classes.get(SIZING_CLASS) or min(classes.values(), key=lambda k: k.memory_bytes)
    by_cpu = int(cpus * CPU_OVERCOMMIT // sizing.cpus)
    by_memory = memory_bytes * MEMORY_OVERCOMMIT // sizing.memory_bytes
    return max(1, min(by_cpu, by_memory))
