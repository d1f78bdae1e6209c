"""What goes into the event store and what comes out of it. Payloads stay encoded (Avro bytes):
the store never needs to understand them, and a reader can park what it cannot decode."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from domain.envelope import Cause, Envelope, utc_now
from schemas.codec import Encoded


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    schema: str
    payload: bytes
    actor: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=utc_now)

    @classmethod
    def of(cls, encoded: Encoded, cause: Cause) -> NewEvent:
        return cls(
            type=encoded.event_type,
            schema=encoded.schema,
            payload=encoded.payload,
            actor=cause.actor,
            correlation_id=cause.correlation_id,
            causation_id=cause.causation_id,
        )


@dataclass(frozen=True, slots=True)
class StoredEvent:
    envelope: Envelope
    payload: bytes

    @property
    def position(self) -> int:
        return self.envelope.position

    @property
    def stream_id(self) -> str:
        return self.envelope.stream_id


@dataclass(frozen=True, slots=True)
class Append:
    """Events for one stream, valid only if the stream is still at `expected_version`."""

    stream_id: str
    events: tuple[NewEvent, ...]
    expected_version: int


@dataclass(frozen=True, slots=True)
class Tracking:
    """`consumer` has handled the event at global `position`: stored with the consumer's effects."""

    consumer: str
    position: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An event a consumer could not handle, kept with the error until it is replayed."""

    consumer: str
    position: int
    event_id: uuid.UUID
    stream_id: str
    event_type: str
    error: str
    attempts: int
    parked_at: datetime = field(default_factory=utc_now)
