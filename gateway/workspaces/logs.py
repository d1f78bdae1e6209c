"""A workspace's logs: its image build's output (from the `image-<key>` stream whose `image.build_started`
names the instance) and its tasks' output (read from the supervisor inside the workspace)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from domain.errors import NotFound, TemporaryError
from domain.events import Recorded
from domain.image.events import ImageBuildFailed, ImageBuildLog, ImageBuildStarted, ImageBuilt, image_stream
from domain.workspace.events import ImageReady, InstanceRequested
from gateway.aggregates import decode
from infra.store.contract import EventStore
from schemas.codec import EventCodec

# How far past the instance's request the global log is searched for its build start when the workspace
# stream does not name the image yet (a build in progress): the builder starts within moments of the request.
SCAN_LIMIT = 20_000
_PAGE = 1000
SUPERVISOR_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class TaskLog:
    data: bytes
    headers: dict[str, str]
    """The supervisor's X-Log-Size / X-Log-Offset / X-Log-Ended, passed on as they are."""


async def _instance_facts(store: EventStore, codec: EventCodec, workspace_id: str,
                          instance_id: str) -> tuple[int | None, ImageReady | None]:
    """The global position of the instance's request, and its ImageReady if it has one."""
    requested_at: int | None = None
    ready: ImageReady | None = None
    for stored in await store.read_stream(f"workspace-{workspace_id}"):
        if stored.envelope.type not in (InstanceRequested.TYPE, ImageReady.TYPE):
            continue
        payload = decode(codec, stored).payload
        if isinstance(payload, InstanceRequested) and payload.instance_id == instance_id:
            requested_at = stored.position
        elif isinstance(payload, ImageReady) and payload.instance_id == instance_id:
            ready = payload
    return requested_at, ready


async def _find_build_start(store: EventStore, codec: EventCodec, after: int, workspace_id: str,
                            instance_id: str) -> str | None:
    position, scanned = after, 0
    while scanned < SCAN_LIMIT:
        page = await store.read_all(position, _PAGE)
        for stored in page:
            if stored.envelope.type == ImageBuildStarted.TYPE:
                started = decode(codec, stored).payload
                assert isinstance(started, ImageBuildStarted)
                if started.workspace_id == workspace_id and started.instance_id == instance_id:
                    return started.cache_key
        if len(page) < _PAGE:
            return None
        position, scanned = page[-1].position, scanned + len(page)
    return None


def _build_of(events: list[Recorded], instance_id: str) -> list[Recorded]:
    """This instance's build in an image stream (several builds of one key may share it): its start and what
    followed it up to its end, or to now while it runs; empty when it has none there."""
    ours: list[Recorded] = []
    for event in events:
        if isinstance(event.payload, ImageBuildStarted):
            if ours:
                break  # the next build of the same key: ours is the one before it
            if event.payload.instance_id == instance_id:
                ours.append(event)
        elif ours:
            ours.append(event)
            if isinstance(event.payload, ImageBuilt | ImageBuildFailed):
                break
    return ours


async def build_events(store: EventStore, codec: EventCodec, workspace_id: str, instance_id: str) -> list[Recorded]:
    """The events of the instance's image build, from its `image.build_started` on (each with its global
    position); empty when nothing was built for it (the image came from the cache or a registry, or the build
    has not started)."""
    requested_at, ready = await _instance_facts(store, codec, workspace_id, instance_id)
    if ready is not None:
        cache_key: str | None = ready.cache_key
    elif requested_at is not None:
        cache_key = await _find_build_start(store, codec, requested_at, workspace_id, instance_id)
    else:
        cache_key = None
    if cache_key is None:
        return []
    return _build_of([decode(codec, s) for s in await store.read_stream(image_stream(cache_key))], instance_id)


async def build_log(store: EventStore, codec: EventCodec, workspace_id: str,
                    instance_id: str | None) -> dict[str, Any] | None:
    events = [] if instance_id is None else await build_events(store, codec, workspace_id, instance_id)
    if not events:
        return None
    started, last = events[0].payload, events[-1].payload
    assert isinstance(started, ImageBuildStarted)
    status = "built" if isinstance(last, ImageBuilt) else "failed" if isinstance(last, ImageBuildFailed) else "building"
    lines = [line for event in events if isinstance(event.payload, ImageBuildLog) for line in event.payload.lines]
    return {"cache_key": started.cache_key, "status": status, "lines": lines}


async def task_log(supervisor_port: int, index: int, offset: int, token: str | None = None) -> TaskLog:
    url = f"http://127.0.0.1:{supervisor_port}/_berth/tasks/{index}/log"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with httpx.AsyncClient(timeout=SUPERVISOR_TIMEOUT, trust_env=False) as client:
            response = await client.get(url, params={"offset": offset}, headers=headers)
    except httpx.HTTPError as error:
        raise TemporaryError(f"the workspace's supervisor did not answer: {error}") from None
    if response.status_code == 404:
        raise NotFound(f"the workspace has no task {index}")
    if response.status_code != 200:
        raise TemporaryError(f"the workspace's supervisor answered {response.status_code} for task {index}'s log")
    passed = {name: value for name, value in response.headers.items() if name.lower().startswith("x-log-")}
    passed.setdefault("x-log-size", str(offset + len(response.content)))
    return TaskLog(response.content, passed)
