"""What a worker is: a named function of (event, current state read from the store) -> appends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from domain.aggregate import Decider, Versioned, fold
from domain.envelope import Cause
from domain.events import DomainEvent, Recorded
from infra.store.contract import EventStore
from infra.store.records import Append, NewEvent
from schemas.codec import EventCodec

S = TypeVar("S")
C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class HandlerContext:
    store: EventStore
    codec: EventCodec

    async def load(self, stream_id: str, decider: Decider[S, C, DomainEvent]) -> Versioned[S]:
        """The current state of an aggregate, folded from its stream."""
        stored = await self.store.read_stream(stream_id)
        return fold(decider, (self.codec.decode(e.envelope.type, e.envelope.schema, e.payload) for e in stored))

    def append(self, stream_id: str, events: Sequence[DomainEvent], expected_version: int, cause: Cause) -> Append:
        encoded = tuple(NewEvent.of(self.codec.encode(event), cause) for event in events)
        return Append(stream_id, encoded, expected_version)


class Handler(Protocol):
    @property
    def name(self) -> str:
        """The consumer name: tracking records, checkpoints, dead letters and Kafka group id."""

    @property
    def event_types(self) -> frozenset[str]:
        """The event types it reacts to; others are passed over without decoding."""

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        """Decide what the event causes. Raise TemporaryError to be retried, anything else to be parked."""
