"""One worker process of the distributed benchmark: a Worker on a KafkaEventSource (one consumer group
shared by all of them) whose tracking records go to PostgreSQL through the store's commit.

    python bench/pipeline_worker.py --bootstrap B --dsn D --schema S --prefix P --group G --out FILE
                                    --partitions N [--profile STATS_FILE]

Prints `first` when its handler receives its first event (so the parent knows it holds partitions).
Stops when its stdin closes (also when the parent dies) or on SIGINT/SIGTERM, then writes to FILE the
wall-clock times (time.time(), comparable across processes) at which each event was received by the
handler (by event id) and its tracking record committed (by position).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline_handler import TimingHandler

from handlers.runtime.worker import Worker
from infra.kafka.source import KafkaEventSource
from infra.store.postgres import PostgresEventStore
from infra.store.records import Append, StoredEvent, Tracking
from schemas.codec import EventCodec


class CommitClockStore(PostgresEventStore):
    """The real store, noting when each tracking record (the handler's effects) committed."""

    def __init__(self, dsn: str, *, schema: str) -> None:
        super().__init__(dsn, schema=schema)
        self.committed: dict[int, float] = {}

    async def commit(self, appends: Sequence[Append], tracking: Tracking | None = None,
                     settles: Tracking | None = None) -> list[StoredEvent]:
        stored = await super().commit(appends, tracking, settles)
        if tracking is not None:
            self.committed.setdefault(tracking.position, time.time())
        return stored

    async def commit_tracked(self, commits: Sequence[tuple[Sequence[Append], Tracking]]
                             ) -> list[list[StoredEvent] | None]:
        results = await super().commit_tracked(commits)
        at = time.time()
        for (_, tracking), stored in zip(commits, results, strict=True):
            if stored is not None:
                self.committed.setdefault(tracking.position, at)
        return results


async def _stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


def _write_report(path: Path, handler: TimingHandler, store: CommitClockStore, worker: Worker,
                  cpu_at_first: float | None) -> None:
    path.write_text(json.dumps({
        "received": {str(event_id): at for event_id, at in handler.received.items()},
        "committed": store.committed,
        "handled": worker.handled,
        "parked": worker.parked,
        "cpu_s": time.process_time(),
        "cpu_at_first_s": cpu_at_first,
    }))


async def run(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    store = CommitClockStore(args.dsn, schema=args.schema)
    await store.open()
    cpu_at_first: list[float] = []

    def announce_first() -> None:
        cpu_at_first.append(time.process_time())
        print("first", flush=True)

    handler = TimingHandler(args.group, time.time, on_first=announce_first)
    source = KafkaEventSource(args.bootstrap, args.group, ["workspace"], prefix=args.prefix,
                              partitions=args.partitions)
    worker = Worker(handler, source, store, EventCodec())
    running = asyncio.create_task(worker.run())
    watchers = [asyncio.create_task(stop.wait()), asyncio.create_task(_stdin_closed())]
    try:
        await asyncio.wait([running, *watchers], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for watcher in watchers:
            watcher.cancel()
        try:
            await worker.stop(grace=5.0)  # re-raises what ended `running`, if it failed
        except Exception as error:
            print(f"worker stopped with {error!r}", file=sys.stderr)
        await asyncio.gather(running, *watchers, return_exceptions=True)
        await store.close()
        _write_report(Path(args.out), handler, store, worker, cpu_at_first[0] if cpu_at_first else None)
    if running.done() and not running.cancelled() and running.exception() is not None:
        print(f"worker failed: {running.exception()!r}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    for name in ("bootstrap", "dsn", "schema", "prefix", "group", "out"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--profile", help="write cProfile stats of the whole run to this file")
    args = parser.parse_args()
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    if profile is not None:
        profile.enable()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(run(args))
        return 130
    finally:
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)


if __name__ == "__main__":
    sys.exit(main())
