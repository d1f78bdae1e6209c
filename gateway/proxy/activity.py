"""Proxied traffic counts as activity. The last time is kept per workspace in memory, and recorded as a
`workspace.activity_recorded` event at most once a minute per workspace (DESIGN.md section 5), in the
background so no request waits for the store."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from domain.envelope import Cause
from domain.errors import BerthError, StreamConflict
from domain.workspace.events import ActivityRecorded
from infra.store.contract import EventStore
from infra.store.records import NewEvent
from schemas.codec import EventCodec

log = logging.getLogger(__name__)

INTERVAL = 60.0


class ActivitySampler:
    """Pure bookkeeping: when was each workspace last used, and is a new event due."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self.last_seen: dict[str, float] = {}
        self._last_recorded: dict[str, float] = {}

    def touch(self, workspace_id: str, now: float) -> bool:
        """Note activity now; True when it should be recorded (the first time, then once per interval)."""
        self.last_seen[workspace_id] = now
        recorded = self._last_recorded.get(workspace_id)
        if recorded is not None and now - recorded < self.interval:
            return False
        self._last_recorded[workspace_id] = now
        return True


class ActivityRecorder:
    def __init__(self, store: EventStore, codec: EventCodec, interval: float = INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._codec = codec
        self._clock = clock
        self.sampler = ActivitySampler(interval)
        self._tasks: set[asyncio.Task[None]] = set()

    def touch(self, workspace_id: str, instance_id: str, source: str = "proxy") -> None:
        if not self.sampler.touch(workspace_id, self._clock()):
            return
        task = asyncio.create_task(self._record(workspace_id, instance_id, source),
                                   name=f"activity {workspace_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, workspace_id: str, instance_id: str, source: str) -> None:
        stream = f"workspace-{workspace_id}"
        event = NewEvent.of(self._codec.encode(ActivityRecorded(instance_id=instance_id, source=source)),
                            Cause("gateway"))
        for _ in range(5):
            try:
                version = await self._store.stream_version(stream)
                await self._store.append(stream, [event], version)
                return
            except StreamConflict:
                continue  # the workspace moved on meanwhile: activity is appended after whatever came
            except BerthError as error:
                # Activity is a sample: losing one is harmless, and must never fail the proxied request.
                log.warning("could not record activity of %s: %s", workspace_id, error)
                return
        log.warning("gave up recording activity of %s after repeated conflicts", workspace_id)

    async def drain(self) -> None:
        """Wait for the appends in flight (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
