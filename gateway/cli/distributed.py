"""Distributed mode's processes: `berth relay` (store -> Kafka) and `berth worker <name>` (Kafka -> handler);
`berth node-agent` (gateway/cli/node_agent.py) is the third kind.

Each runs until SIGTERM/SIGINT. A worker then lets its in-flight events finish (cancelled after the
grace period); the relay stops at once, and a batch it had not checkpointed is published again on the
next start, which consumers' tracking records make harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

import typer

from domain.events import stream_type_of_event
from gateway.cli.context import JsonFlag, run_async, settings_or_fail
from gateway.cli.output import console, emit_json, fail
from gateway.dependencies import close_worker_dependencies, handler_named, handlers_by_name, open_worker_dependencies
from handlers.runtime.handler import Handler
from handlers.runtime.worker import Worker
from infra.kafka.relay import KafkaRelay
from infra.kafka.source import KafkaEventSource
from infra.settings import Mode
from infra.stores import Stores, open_stores
from schemas.codec import EventCodec

Grace = Annotated[float, typer.Option(help="Seconds to let in-flight work finish on SIGTERM before cancelling.")]


async def until_signalled(run: Callable[[], Coroutine[Any, Any, None]], stop: Callable[[], Awaitable[None]]) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    running = asyncio.create_task(run())
    waiting = asyncio.create_task(stopping.wait())
    await asyncio.wait({running, waiting}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    await stop()
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


def relay(as_json: JsonFlag = False) -> None:
    """Publish the committed event log to Kafka (distributed mode)."""
    settings = settings_or_fail(as_json)
    if settings.mode is not Mode.DISTRIBUTED:
        fail("the relay runs in distributed mode: set BERTH_MODE=distributed", as_json)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        stores = await open_stores(settings)
        relay = KafkaRelay(stores.events, settings.kafka_bootstrap, prefix=settings.kafka_prefix)
        if as_json:
            emit_json({"relay": "started", "bootstrap": settings.kafka_bootstrap})
        else:
            console.print(f"Relaying the event log to Kafka at {settings.kafka_bootstrap}")

        async def nothing_to_finish() -> None:
            return None

        try:
            await until_signalled(relay.run, nothing_to_finish)
        finally:
            await stores.close()

    run_async(as_json, main())


def worker(name: Annotated[str, typer.Argument(help="The handler to run.")], grace: Grace = 10.0,
           as_json: JsonFlag = False) -> None:
    """Run one worker process consuming from Kafka in the handler's consumer group (distributed mode)."""
    settings = settings_or_fail(as_json)
    if settings.mode is not Mode.DISTRIBUTED:
        fail("worker processes run in distributed mode: set BERTH_MODE=distributed", as_json)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        stores = await open_stores(settings)
        try:
            deps = await open_worker_dependencies(settings, stores.views)
            try:
                await run_worker(handler_named(handlers_by_name(deps), name), stores)
            finally:
                await close_worker_dependencies(deps)
        finally:
            await stores.close()

    async def run_worker(handler: Handler, stores: Stores) -> None:
        stream_types = {stream_type_of_event(t) for t in handler.event_types}
        source = KafkaEventSource(settings.kafka_bootstrap, handler.name, stream_types, prefix=settings.kafka_prefix)
        running = Worker(handler, source, stores.events, EventCodec())
        await until_signalled(running.run, lambda: running.stop(grace))

    run_async(as_json, main())
