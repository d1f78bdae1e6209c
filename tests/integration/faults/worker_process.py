"""Run as a process by the worker kill tests: a Worker over the store's log (StoreEventSource) with the
non-idempotent EffectHandler, which can stop dead at a chosen point so the test can SIGKILL it there.

    python -m tests.integration.faults.worker_process STORE CONSUMER
        [--pause before|after POSITION] [--until POSITION] [--delay SECONDS] [--checkpoint-interval SECONDS]

It says on stdout:
    ready                    the worker is running
    handled <position>       a workspace event is done (its effect committed, or found tracked)
    paused before <position> the handler decided that event's effect; it is not committed, nor ever will be
    paused after <position>  that event's effect and tracking record are committed; the checkpoint is not saved
    finished                 with --until: everything up to that position is done, the worker stopped cleanly
Once paused, no other event gets past the handler either: the process only waits to be killed.
"""

from __future__ import annotations

import argparse
import asyncio
import random

from domain.events import Recorded
from handlers.runtime.store_source import StoreEventSource
from handlers.runtime.worker import RetryPolicy, Worker
from infra.store.contract import EventStore
from infra.store.records import StoredEvent
from schemas.codec import EventCodec
from tests.integration.faults.effects import SOURCE_TYPES, EffectHandler
from tests.integration.faults.stores import open_store


def say(line: str) -> None:
    print(line, flush=True)


class Freezer:
    """Stops the whole worker at one point: the event paused at, and every other one at its handler."""

    def __init__(self) -> None:
        self.frozen = asyncio.Event()

    async def pause(self, phase: str, position: int) -> None:
        self.frozen.set()
        say(f"paused {phase} {position}")
        await asyncio.Event().wait()  # until SIGKILL

    async def hold(self) -> None:
        if self.frozen.is_set():
            await asyncio.Event().wait()


class ObservedSource(StoreEventSource):
    """Reports each finished workspace event, pauses after a chosen commit, and notices the end."""

    def __init__(self, store: EventStore, consumer: str, freezer: Freezer, pause_after: int | None,
                 until: int | None, checkpoint_interval: float) -> None:
        super().__init__(store, consumer, checkpoint_interval=checkpoint_interval)
        self._freezer = freezer
        self._pause_after = pause_after
        self._until = until
        self.finished = asyncio.Event()

    async def done(self, event: StoredEvent) -> None:
        # The runtime calls done() after the commit returned: pausing here is "committed, checkpoint not saved".
        if event.position == self._pause_after:
            await self._freezer.pause("after", event.position)
        await self._freezer.hold()
        await super().done(event)
        if event.envelope.type in SOURCE_TYPES:
            say(f"handled {event.position}")
        if self._until is not None and self.watermark >= self._until:
            self.finished.set()


async def main(args: argparse.Namespace) -> None:
    store = await open_store(args.store)
    freezer = Freezer()
    pause_before = args.pause[1] if args.pause and args.pause[0] == "before" else None
    pause_after = args.pause[1] if args.pause and args.pause[0] == "after" else None

    async def before_read(event: Recorded) -> None:
        await freezer.hold()
        if args.delay:
            await asyncio.sleep(random.uniform(0, args.delay))

    async def before_commit(event: Recorded) -> None:
        await freezer.hold()
        if event.envelope.position == pause_before:
            await freezer.pause("before", event.envelope.position)

    handler = EffectHandler(args.consumer, before_read=before_read, before_commit=before_commit)
    source = ObservedSource(store, args.consumer, freezer, pause_after, args.until, args.checkpoint_interval)
    worker = Worker(handler, source, store, EventCodec(), retry=RetryPolicy(attempts=10, initial_wait=0.01,
                                                                              max_wait=0.1))
    running = asyncio.create_task(worker.run())
    say("ready")
    finished = asyncio.create_task(source.finished.wait())
    await asyncio.wait({running, finished}, return_when=asyncio.FIRST_COMPLETED)
    if running.done():
        running.result()  # it crashed: show why
        raise SystemExit("the worker stopped by itself")
    await worker.stop(grace=10)
    await asyncio.gather(running, return_exceptions=True)
    await store.close()
    say("finished")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("consumer")
    parser.add_argument("--pause", nargs=2, metavar=("PHASE", "POSITION"), type=str)
    parser.add_argument("--until", type=int)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--checkpoint-interval", type=float, default=3600.0)
    args = parser.parse_args()
    if args.pause is not None:
        phase, position = args.pause
        if phase not in ("before", "after"):
            parser.error("--pause takes before|after POSITION")
        args.pause = (phase, int(position))
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
