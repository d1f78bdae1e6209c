"""Run as a process by the relay kill test: the real KafkaRelay following the log (run()), which can
stop dead in the middle of a batch so the test can SIGKILL it there.

    python -m tests.integration.faults.relay_process STORE BOOTSTRAP PREFIX
        [--pause-after N | --pause-at STREAM_ID@VERSION]

It says on stdout `ready` once running, then `paused` once the broker has acknowledged every send before
the pause point: its first N sends, or every send up to the one of that stream's event at that version.
Those events are in Kafka, the relay has not saved its checkpoint for the batch, and the process only
waits to be killed.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from infra.kafka import headers
from infra.kafka.relay import KafkaRelay, producer_settings
from tests.integration.faults.stores import open_store


def say(line: str) -> None:
    print(line, flush=True)


class PausingProducer(AIOKafkaProducer):  # type: ignore[misc]  # aiokafka ships no type hints
    def __init__(self, pause_after: int | None, pause_at: tuple[str, int] | None, **settings: Any) -> None:
        super().__init__(**settings)
        self._pause_after = pause_after
        self._pause_at = pause_at
        self._sent: list[asyncio.Future[Any]] = []

    async def send(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        acknowledged: asyncio.Future[Any] = await super().send(*args, **kwargs)
        self._sent.append(acknowledged)
        envelope = headers.decode(kwargs["headers"])
        if len(self._sent) == self._pause_after or (envelope.stream_id, envelope.version) == self._pause_at:
            await asyncio.gather(*self._sent)
            say(f"paused at {envelope.stream_id}@{envelope.version}, position {envelope.position}")
            await asyncio.Event().wait()  # until SIGKILL
        return acknowledged


async def main(args: argparse.Namespace) -> None:
    store = await open_store(args.store)
    relay = KafkaRelay(store, args.bootstrap, prefix=args.prefix, batch_size=10_000, max_retry_wait=1.0,
                       producer_factory=lambda: PausingProducer(args.pause_after, args.pause_at,
                                                                **producer_settings(args.bootstrap)))
    say("ready")
    await relay.run()


def stream_version(text: str) -> tuple[str, int]:
    stream_id, _, version = text.rpartition("@")
    return stream_id, int(version)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("bootstrap")
    parser.add_argument("prefix")
    pause = parser.add_mutually_exclusive_group()
    pause.add_argument("--pause-after", type=int)
    pause.add_argument("--pause-at", type=stream_version)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
