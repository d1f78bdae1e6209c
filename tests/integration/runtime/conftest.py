from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import RetryPolicy, Worker
from infra.store.contract import EventStore
from schemas.codec import EventCodec
from tests.integration.runtime.echo_handler import EchoHandler

FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)


@asynccontextmanager
async def running(handler: EchoHandler, store: EventStore, retry: RetryPolicy = FAST_RETRY,
                  grace: float = 5.0) -> AsyncIterator[Worker]:
    worker = Worker(handler, StoreEventSource(store, handler.name, checkpoint_interval=0.0), store,
                    EventCodec(), retry=retry)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await worker.stop(grace)
        await asyncio.gather(task, return_exceptions=True)
