"""One server-sent event stream of every workspace event of one user, for the dashboard.

A browser keeps at most six HTTP/1.1 connections to a host, and an EventSource holds one for as long as the
page is open: an EventSource per workspace would stall the page (its fetches queue behind the streams) from
the sixth workspace on. This stream follows the global log instead and keeps the user's own workspaces, so
it also brings workspaces created elsewhere (the CLI, another tab). Each message's `id` is the event's global
position, so a reconnecting EventSource resumes where it stopped with `Last-Event-ID`.

It also carries the image builds of the user's workspaces (`build` messages): a build's output lives on the
image's stream (`image-<key>`), which names the workspace only in its `image.build_started`; following them
here shows the build log the moment a batch of lines is stored, with no polling of the logs API. What a start
did before the page connected is read once, from gateway.dashboard.history, in the same message shapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from domain.events import Recorded
from domain.image.events import ImageBuildFailed, ImageBuildLog, ImageBuildStarted, ImageBuilt
from domain.workspace.events import WorkspaceCreated
from gateway.aggregates import decode
from gateway.sse import KEEPALIVE, RETRY_MS, event_data, sse_comment, sse_message
from infra.readmodel.contract import ReadModelStore
from infra.store.contract import EventStore
from infra.store.records import StoredEvent
from projections.workspaces import COLLECTION, PROJECTION
from schemas.codec import EventCodec

EVENT_NAME = "workspace"
BUILD_EVENT_NAME = "build"
_PREFIX = "workspace-"
_IMAGE_PREFIX = "image-"
_BUILD_TYPES = frozenset({ImageBuildStarted.TYPE, ImageBuildLog.TYPE, ImageBuilt.TYPE, ImageBuildFailed.TYPE})
_PAGE = 500


class Owners:
    """Who owns each workspace stream, learnt once per stream and connection: from its creation event when
    the stream passes by, else from the read model, else from the stream's first event."""

    def __init__(self, store: EventStore, codec: EventCodec, views: ReadModelStore) -> None:
        self._store, self._codec, self._views = store, codec, views
        self._known: dict[str, str | None] = {}

    def learn(self, stream_id: str, owner: str) -> None:
        self._known[stream_id] = owner

    async def of(self, stream_id: str) -> str | None:
        if stream_id not in self._known:
            doc = await self._views.get(PROJECTION, COLLECTION, stream_id.removeprefix(_PREFIX))
            owner = None if doc is None else str(doc["owner"])
            if owner is None:
                first = await self._store.read_stream(stream_id)
                created = decode(self._codec, first[0]).payload if first else None
                owner = created.owner if isinstance(created, WorkspaceCreated) else None
            self._known[stream_id] = owner
        return self._known[stream_id]


class Builds:
    """Which workspace each image stream is building for now: the workspace named by the stream's latest
    `image.build_started` (builds of one cache key follow each other on one stream). Learnt as the starts pass
    by, else, for a build that began before the connection, from the stream itself."""

    def __init__(self, store: EventStore, codec: EventCodec) -> None:
        self._store, self._codec = store, codec
        self._known: dict[str, tuple[str, str] | None] = {}

    def learn(self, stream_id: str, started: ImageBuildStarted) -> None:
        self._known[stream_id] = (started.workspace_id, started.instance_id)

    async def of(self, stream_id: str, position: int) -> tuple[str, str] | None:
        """For the event at `position`: the latest start at or before it (a replay may be behind the head)."""
        if stream_id not in self._known:
            found: tuple[str, str] | None = None
            for stored in await self._store.read_stream(stream_id):
                if stored.envelope.position > position:
                    break
                if stored.envelope.type == ImageBuildStarted.TYPE:
                    started = decode(self._codec, stored).payload
                    assert isinstance(started, ImageBuildStarted)
                    found = (started.workspace_id, started.instance_id)
            self._known[stream_id] = found
        return self._known[stream_id]


def workspace_data(recorded: Recorded, workspace_id: str) -> dict[str, Any]:
    """A `workspace` message's data (gateway.dashboard.history gives the same for the time before the page)."""
    return {**event_data(recorded), "workspace_id": workspace_id}


def build_data(recorded: Recorded, workspace_id: str, instance_id: str) -> dict[str, Any]:
    """A `build` message's data: the image event and the workspace instance it builds for."""
    return {**event_data(recorded), "workspace_id": workspace_id, "instance_id": instance_id}


async def _build(owners: Owners, builds: Builds, codec: EventCodec, stored: StoredEvent,
                 username: str) -> bytes | None:
    envelope = stored.envelope
    if envelope.type not in _BUILD_TYPES:
        return None
    recorded = decode(codec, stored)
    if isinstance(recorded.payload, ImageBuildStarted):
        builds.learn(envelope.stream_id, recorded.payload)
    building = await builds.of(envelope.stream_id, envelope.position)
    if building is None or await owners.of(_PREFIX + building[0]) != username:
        return None
    return sse_message(envelope.position, BUILD_EVENT_NAME, build_data(recorded, *building))


async def _owned(owners: Owners, builds: Builds, codec: EventCodec, stored: StoredEvent,
                 username: str) -> bytes | None:
    envelope = stored.envelope
    if envelope.stream_id.startswith(_IMAGE_PREFIX):
        return await _build(owners, builds, codec, stored, username)
    if not envelope.stream_id.startswith(_PREFIX):
        return None
    recorded = decode(codec, stored)
    if isinstance(recorded.payload, WorkspaceCreated):
        owners.learn(envelope.stream_id, recorded.payload.owner)
    if await owners.of(envelope.stream_id) != username:
        return None
    data = workspace_data(recorded, envelope.stream_id.removeprefix(_PREFIX))
    return sse_message(envelope.position, EVENT_NAME, data)


async def user_workspace_events(store: EventStore, codec: EventCodec, views: ReadModelStore, username: str,
                                after_position: int | None, *, keepalive: float = KEEPALIVE) -> AsyncIterator[bytes]:
    """From `after_position`, or from now when it is None: the page reads the list after opening the stream,
    so what happened before is in the list and what happens after is in the stream."""
    owners, builds = Owners(store, codec, views), Builds(store, codec)
    position = await store.head_position() if after_position is None else after_position
    yield f"retry: {RETRY_MS}\n\n".encode()
    # A first message naming where the stream starts: the page knows it is connected and may read the list.
    yield sse_message(position, "ready", {"position": position})
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while True:
        page = await store.read_all(position, _PAGE)
        for stored in page:
            position = stored.envelope.position
            message = await _owned(owners, builds, codec, stored, username)
            if message is not None:
                yield message
                quiet_since = loop.time()
        if len(page) == _PAGE:
            continue  # more is stored: read on before waiting
        await store.wait_for_new(position, keepalive)
        if loop.time() - quiet_since >= keepalive:
            yield sse_comment("keepalive")
            quiet_since = loop.time()
