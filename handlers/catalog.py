"""Every control-plane worker and what it needs, by name (`berth worker <name>`, `berth deadletters`)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.context.model import ContextUrl, ResolvedContext
from handlers.builder import BuilderHandler
from handlers.preparer import PreparerHandler
from handlers.runtime.handler import Handler
from handlers.scheduler import ConfiguredNodes, NodeDirectory, ReadModelNodes, SchedulerHandler
from infra.git import GitCache, read_files_at, resolve_context
from infra.git.checkout import checked_out
from infra.images.builder import ImageBuilder
from infra.readmodel.contract import ReadModelStore

DEFAULT_IMAGE = "berth/base:latest"


@dataclass(frozen=True)
class WorkerDependencies:
    images: ImageBuilder
    git: GitCache
    node: str = "local"
    default_image: str = DEFAULT_IMAGE
    views: ReadModelStore | None = None
    """The read models, where the scheduler learns of nodes beyond the configured one (distributed mode)."""

    def node_directory(self) -> NodeDirectory:
        return ConfiguredNodes(self.node) if self.views is None else ReadModelNodes(self.views, self.node)


def control_plane_handlers(deps: WorkerDependencies) -> list[Handler]:
    async def resolve(url: ContextUrl) -> ResolvedContext:
        return await resolve_context(url, cache=deps.git)

    async def read(clone_url: str, commit: str, paths: Sequence[str]) -> dict[str, str]:
        return await read_files_at(clone_url, commit, paths, cache=deps.git)

    def checkout(clone_url: str, commit: str) -> contextlib.AbstractAsyncContextManager[Path]:
        return checked_out(clone_url, commit, cache=deps.git)

    return [
        PreparerHandler(resolve, read, deps.default_image),
        BuilderHandler(deps.images, checkout),
        SchedulerHandler(deps.node_directory()),
    ]
