"""The event envelope of DESIGN.md section 3: what every event carries besides its payload."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


def stream_type_of(stream_id: str) -> str:
    """`workspace-amber-otter-k3x9qa` -> `workspace`: the stream type is the id's first dash-part."""
    head, sep, tail = stream_id.partition("-")
    if not sep or not head or not tail:
        raise ValueError(f"stream id {stream_id!r} is not of the form '<type>-<id>'")
    return head


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Envelope:
    """Metadata of one recorded event. `position` is assigned by the store on commit."""

    event_id: uuid.UUID
    stream_id: str
    stream_type: str
    version: int
    position: int
    type: str
    schema: str
    occurred_at: datetime
    actor: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Cause:
    """Who asked and why: carried from an event to the events it causes."""

    actor: str
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    causation_id: uuid.UUID | None = None

    def following(self, envelope: Envelope, actor: str) -> Cause:
        """The cause of events emitted in reaction to `envelope` by `actor`."""
        return Cause(actor=actor, correlation_id=envelope.correlation_id, causation_id=envelope.event_id)
