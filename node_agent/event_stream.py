"""A subscription to the engine's event stream, as an async iterator of runtime events.

The engine's stream is a blocking HTTP response, so a dedicated thread reads it (not the shared
`to_thread` pool, which it would occupy for the agent's whole life) and hands events to the loop.
The subscription is open once `subscribe` returns: nothing that happens after that is missed,
which is what lets a caller take a reconcile snapshot afterwards without a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

import docker

from domain.errors import Unavailable
from node_agent.engine import Engine, engine_errors
from node_agent.runtime_events import FOLLOWED_ACTIONS, RuntimeEvent, parse_event


class _Ended:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class EventSubscription(AsyncIterator[RuntimeEvent]):
    def __init__(self, stream: docker.types.CancellableStream[dict[str, Any]], loop: asyncio.AbstractEventLoop) -> None:
        self._stream = stream
        self._loop = loop
        self._queue: asyncio.Queue[RuntimeEvent | _Ended] = asyncio.Queue()
        self._closing = threading.Event()
        self._ended = False
        self._thread = threading.Thread(target=self._read, name="berth-docker-events", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        error: BaseException | None = None
        try:
            for raw in self._stream:
                event = parse_event(raw) if isinstance(raw, Mapping) else None
                if event is not None:
                    self._deliver(event)
        except BaseException as caught:  # reported to the reader on the loop; this thread just ends
            error = caught
        self._deliver(_Ended(None if self._closing.is_set() else error))

    def _deliver(self, item: RuntimeEvent | _Ended) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening any more
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def __aiter__(self) -> EventSubscription:
        return self

    async def __anext__(self) -> RuntimeEvent:
        if self._ended:
            raise StopAsyncIteration
        item = await self._queue.get()
        if isinstance(item, _Ended):
            self._ended = True
            if self._closing.is_set():
                raise StopAsyncIteration
            reason = f": {item.error}" if item.error is not None else ""
            raise Unavailable(f"the Docker event stream ended (engine stopped or restarted?){reason}")
        return item

    async def aclose(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        await asyncio.to_thread(self._stream.close)
        await asyncio.to_thread(self._thread.join)

    async def __aenter__(self) -> EventSubscription:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.aclose()


async def subscribe(engine: Engine, labels: list[str]) -> EventSubscription:
    """Follow container events of containers carrying every label in `labels` (`key` or `key=value`)."""
    filters = {"type": "container", "label": labels, "event": list(FOLLOWED_ACTIONS)}

    def open_stream() -> docker.types.CancellableStream[dict[str, Any]]:
        with engine_errors("subscribing to container events"):
            return engine.api.events(decode=True, filters=filters)

    stream = await asyncio.to_thread(open_stream)
    return EventSubscription(stream, asyncio.get_running_loop())
