"""The composition root: opens the stores of the configured mode and runs every projection and worker
as guarded tasks, stopping them gracefully (then by force) on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from gateway.dependencies import close_worker_dependencies, handlers_by_name, open_worker_dependencies
from gateway.node import NodeAgent, open_node_agent
from handlers.catalog import WorkerDependencies
from handlers.runtime.handler import HandlerContext
from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import Worker
from handlers.timeouts import TimeoutPolicy, TimeoutSweeper
from infra.settings import Mode, Settings
from infra.stores import Stores, open_stores
from projections.catalog import all_projections
from projections.runner import ProjectionRunner
from schemas.codec import EventCodec

log = logging.getLogger(__name__)


async def restarting(loop: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
    """Runs `loop` until it returns; a crash is logged and the loop restarted, so one loop never takes its
    process (the platform, a node agent) down."""
    while True:
        try:
            await loop()
            return
        except Exception:
            log.exception("%s crashed; restarting in 1 s", name)
            await asyncio.sleep(1)


class Platform:
    """In embedded mode every worker runs here; in distributed mode they are `berth worker` processes and
    this process keeps only the read models (the gateway's)."""

    def __init__(self, settings: Settings, stores: Stores, deps: WorkerDependencies | None,
                 node: NodeAgent | None, codec: EventCodec) -> None:
        self.settings = settings
        self.stores = stores
        self.deps = deps
        self.node = node
        self.codec = codec
        self.runners = [ProjectionRunner(p, stores.events, stores.views, self.codec) for p in all_projections()]
        handlers = list(handlers_by_name(deps).values()) if deps is not None else []
        self.workers = [
            Worker(handler, StoreEventSource(stores.events, handler.name), stores.events, self.codec)
            for handler in handlers
        ]
        if node is not None:
            self.workers.append(node.worker(StoreEventSource(stores.events, node.name), stores.events, self.codec))
        self.timeouts = TimeoutSweeper(HandlerContext(stores.events, self.codec), stores.views,
                                       TimeoutPolicy(retention=timedelta(days=settings.retention_days)))
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def open(cls, settings: Settings) -> Platform:
        stores = await open_stores(settings)
        codec = EventCodec()
        if settings.mode is not Mode.EMBEDDED:
            return cls(settings, stores, None, None, codec)
        try:
            deps = await open_worker_dependencies(settings, stores.views)
            node = await open_node_agent(settings, stores.events, stores.views, codec)
        except BaseException:
            await stores.close()
            raise
        return cls(settings, stores, deps, node, codec)

    def start(self) -> None:
        for runner in self.runners:
            self._guard(runner.run, runner.consumer)
        for worker in self.workers:
            self._guard(worker.run, worker.name)
        # In both modes: the sweeper needs only the store and the read models, and each decision is made
        # again on the workspace's own stream at its version, so several gateways sweeping is harmless.
        self._guard(self.timeouts.run, "timeouts")
        if self.node is not None:
            self._guard(self.node.monitor.run, "node-monitor")

    def _guard(self, loop: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        self._tasks.append(asyncio.create_task(restarting(loop, name), name=name))

    async def stop(self, grace: float = 10.0) -> None:
        for worker in self.workers:
            await worker.stop(grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.stores.close()
        if self.deps is not None:
            await close_worker_dependencies(self.deps)
        if self.node is not None:
            await self.node.close()

