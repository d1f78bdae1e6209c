"""What the workers need from this machine (the Docker engine, the git cache), opened once per process."""

from __future__ import annotations

import asyncio

from domain.errors import NotFound
from handlers.catalog import WorkerDependencies, control_plane_handlers
from handlers.runtime.handler import Handler
from infra.git import GitCache
from infra.images.builder import ImageBuilder
from infra.images.local_images import LocalImages, connect
from infra.readmodel.contract import ReadModelStore
from infra.settings import Settings


async def open_worker_dependencies(settings: Settings, views: ReadModelStore | None = None) -> WorkerDependencies:
    """Raises Unavailable (naming the engine) when Docker cannot be reached. `views`: the read models, where
    the scheduler finds the registered nodes."""
    api = await asyncio.to_thread(connect)
    return WorkerDependencies(images=ImageBuilder(api, LocalImages(api)), git=GitCache(), node=settings.node,
                              views=views)


async def close_worker_dependencies(deps: WorkerDependencies) -> None:
    await asyncio.to_thread(deps.images.api.close)


def handlers_by_name(deps: WorkerDependencies) -> dict[str, Handler]:
    return {handler.name: handler for handler in control_plane_handlers(deps)}


def handler_named(handlers: dict[str, Handler], name: str) -> Handler:
    if name not in handlers:
        raise NotFound(f"no worker named {name!r}; known: {', '.join(sorted(handlers))}")
    return handlers[name]
