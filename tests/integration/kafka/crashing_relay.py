"""Run as a process by the crash test: a relay killed by SIGKILL in the middle of a batch.

    python -m tests.integration.kafka.crashing_relay sqlite:<path>|postgres:<schema> BOOTSTRAP PREFIX N

Once the broker acknowledged its first N sends, of a batch larger than N, the process kills itself:
a real crash, after those events are in Kafka and before the relay saved its checkpoint.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from infra.kafka.relay import KafkaRelay, producer_settings
from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from infra.store.sqlite import SqliteEventStore
from tests.conftest import PG_DSN


class CrashingProducer(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka ships no type hints
    def __init__(self, crash_after: int, **settings: Any) -> None:
        super().__init__(**settings)
        self._crash_after = crash_after
        self._sent: list[asyncio.Future[Any]] = []

    async def send(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        acknowledged: asyncio.Future[Any] = await super().send(*args, **kwargs)
        self._sent.append(acknowledged)
        if len(self._sent) == self._crash_after:
            await asyncio.gather(*self._sent)
            os.kill(os.getpid(), signal.SIGKILL)
        return acknowledged


async def open_store(spec: str) -> EventStore:
    kind, _, where = spec.partition(":")
    if kind == "sqlite":
        return await SqliteEventStore(Path(where)).open()
    return await PostgresEventStore(PG_DSN, schema=where).open()


async def main(spec: str, bootstrap: str, prefix: str, crash_after: int) -> None:
    store = await open_store(spec)
    relay = KafkaRelay(store, bootstrap, prefix=prefix, batch_size=10_000,
                       producer_factory=lambda: CrashingProducer(crash_after, **producer_settings(bootstrap)))
    await relay.catch_up()
    raise SystemExit("the relay finished its batch without crashing")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
