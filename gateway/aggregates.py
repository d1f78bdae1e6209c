"""Running a command against an event-sourced aggregate: fold its stream, decide, append at the version
that was folded. A concurrent append makes the store refuse ours (StreamConflict); the command is then
decided again on the new state, so the decider, not timing, says who wins (two racing starts: the second
is decided against an active instance and refused)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.aggregate import Decider, Versioned, fold
from domain.envelope import Cause
from domain.errors import StreamConflict
from domain.events import DomainEvent, Recorded
from infra.store.contract import EventStore
from infra.store.records import NewEvent, StoredEvent
from schemas.codec import EventCodec

S = TypeVar("S")
C = TypeVar("C")

ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    current: Versioned[S]
    history: list[Recorded]


@dataclass(frozen=True, slots=True)
class Executed(Generic[S]):
    before: Loaded[S]
    appended: list[Recorded]
    """Empty when the command changed nothing (an idempotent repeat)."""

    @property
    def history(self) -> list[Recorded]:
        return [*self.before.history, *self.appended]


def decode(codec: EventCodec, stored: StoredEvent) -> Recorded:
    envelope = stored.envelope
    return Recorded(envelope, codec.decode(envelope.type, envelope.schema, stored.payload))


async def load(store: EventStore, codec: EventCodec, stream_id: str, decider: Decider[S, C, DomainEvent]) -> Loaded[S]:
    history = [decode(codec, stored) for stored in await store.read_stream(stream_id)]
    return Loaded(fold(decider, (r.payload for r in history)), history)


async def execute(store: EventStore, codec: EventCodec, stream_id: str, decider: Decider[S, C, DomainEvent],
                  command: C, cause: Cause) -> Executed[S]:
    """Decide `command` on the stream's current state and append what it causes; domain errors propagate."""
    for attempt in range(ATTEMPTS):
        loaded = await load(store, codec, stream_id, decider)
        events: Sequence[DomainEvent] = decider.decide(loaded.current.state, command)
        if not events:
            return Executed(loaded, [])
        new = [NewEvent.of(codec.encode(event), cause) for event in events]
        try:
            stored = await store.append(stream_id, new, loaded.current.version)
        except StreamConflict:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return Executed(loaded, [Recorded(s.envelope, e) for s, e in zip(stored, events, strict=True)])
    raise AssertionError("unreachable")
