"""Workspace classes: the resources one workspace container may use.

The limits are hard (cgroups): CPU time is capped, memory has no swap on top (swap would turn an
out-of-memory kill into a slow crawl nobody notices), and the process count is bounded so a fork
bomb in one workspace cannot take the node down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from node_agent.errors import UnknownWorkspaceClass

GiB = 1 << 30


@dataclass(frozen=True)
class WorkspaceClass:
    name: str
    cpus: float
    memory_bytes: int
    pids: int


WORKSPACE_CLASSES: Mapping[str, WorkspaceClass] = {
    klass.name: klass
    for klass in (
        WorkspaceClass("small", cpus=1, memory_bytes=2 * GiB, pids=1024),
        WorkspaceClass("default", cpus=2, memory_bytes=4 * GiB, pids=2048),
        WorkspaceClass("large", cpus=4, memory_bytes=8 * GiB, pids=4096),
    )
}


def resolve_class(name: str, classes: Mapping[str, WorkspaceClass]) -> WorkspaceClass:
    try:
        return classes[name]
    except KeyError:
        raise UnknownWorkspaceClass(name, sorted(classes)) from None
