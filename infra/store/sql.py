"""Row <-> record conversion shared by the SQL stores (the column order is the same in both)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from domain.envelope import Envelope, stream_type_of
from infra.store.records import DeadLetter, NewEvent, StoredEvent

EVENT_COLUMNS = (
    "position, event_id, stream_id, stream_type, version, type, schema, occurred_at, actor, "
    "correlation_id, causation_id, payload"
)
DEAD_LETTER_COLUMNS = "consumer, position, event_id, stream_id, event_type, error, attempts, parked_at"


def stored_event(row: Any, parse_time: Any = None) -> StoredEvent:
    occurred_at = row[7] if parse_time is None else parse_time(row[7])
    return StoredEvent(
        envelope=Envelope(
            position=row[0],
            event_id=_uuid(row[1]),
            stream_id=row[2],
            stream_type=row[3],
            version=row[4],
            type=row[5],
            schema=row[6],
            occurred_at=occurred_at,
            actor=row[8],
            correlation_id=_uuid(row[9]),
            causation_id=None if row[10] is None else _uuid(row[10]),
        ),
        payload=bytes(row[11]),
    )


def dead_letter(row: Any, parse_time: Any = None) -> DeadLetter:
    return DeadLetter(
        consumer=row[0],
        position=row[1],
        event_id=_uuid(row[2]),
        stream_id=row[3],
        event_type=row[4],
        error=row[5],
        attempts=row[6],
        parked_at=row[7] if parse_time is None else parse_time(row[7]),
    )


def insert_values(event: NewEvent, stream_id: str, version: int) -> tuple[Any, ...]:
    """The values of one event row, in EVENT_COLUMNS order without `position` (the store assigns it)."""
    return (
        event.event_id,
        stream_id,
        stream_type_of(stream_id),
        version,
        event.type,
        event.schema,
        event.occurred_at,
        event.actor,
        event.correlation_id,
        event.causation_id,
        event.payload,
    )


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def same_events(stored: list[StoredEvent], sent: list[NewEvent]) -> bool:
    """True when a retried append sends exactly the events already stored (by id, in order)."""
    return len(stored) == len(sent) and all(
        s.envelope.event_id == n.event_id for s, n in zip(stored, sent, strict=True)
    )


def iso(value: datetime) -> str:
    return value.isoformat()
