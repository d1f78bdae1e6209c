"""Server-sent events of one stream: what is stored after a version, then live as it is appended.

Each message's `id` is the event's stream version, so a client that reconnects with `Last-Event-ID`
resumes exactly where it stopped. A comment goes out when nothing happened for a while: it keeps proxies
from closing an idle connection and lets the server notice a client that went away.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from domain.events import Recorded
from gateway.aggregates import decode
from infra.store.contract import EventStore
from schemas.codec import EventCodec

KEEPALIVE = 15.0
RETRY_MS = 2000


def sse_message(event_id: int, event_type: str, data: dict[str, Any]) -> bytes:
    # json.dumps never emits a raw newline, so the data is always one `data:` line.
    return f"id: {event_id}\nevent: {event_type}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def sse_comment(text: str) -> bytes:
    return f": {text}\n\n".encode()


def event_data(recorded: Recorded) -> dict[str, Any]:
    envelope = recorded.envelope
    return {"type": envelope.type, "version": envelope.version, "position": envelope.position,
            "time": envelope.occurred_at.isoformat(), "actor": envelope.actor, "event_id": str(envelope.event_id),
            "correlation_id": str(envelope.correlation_id), "payload": recorded.payload.model_dump(mode="json")}


async def stream_events(store: EventStore, codec: EventCodec, stream_id: str, after_version: int,
                        *, keepalive: float = KEEPALIVE, ends_with: str | None = None) -> AsyncIterator[bytes]:
    """Runs until the consumer stops iterating (the client went away), or after an event of type
    `ends_with` (the stream's last word, e.g. its deletion)."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    version = after_version
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while True:
        # The head is taken before reading, so an event committed in between is read now or wakes the wait.
        head = await store.head_position()
        for stored in await store.read_stream(stream_id, version):
            recorded = decode(codec, stored)
            yield sse_message(stored.envelope.version, stored.envelope.type, event_data(recorded))
            version = stored.envelope.version
            quiet_since = loop.time()
            if stored.envelope.type == ends_with:
                return
        await store.wait_for_new(head, keepalive)
        if loop.time() - quiet_since >= keepalive:
            yield sse_comment("keepalive")
            quiet_since = loop.time()
