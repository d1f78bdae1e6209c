"""Row -> record conversion of the SQL stores' read paths (infra/store/sql.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.envelope import Envelope
from infra.store.records import StoredEvent
from infra.store.sql import stored_event


def test_a_row_becomes_the_stored_event_the_constructors_make() -> None:
    event_id, correlation_id, causation_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    row = (7, str(event_id), "workspace-a-b", "workspace", 3, "workspace.created", "abc", at.isoformat(), "alice",
           str(correlation_id), str(causation_id), memoryview(b"payload"))
    expected = StoredEvent(Envelope(event_id=event_id, stream_id="workspace-a-b", stream_type="workspace", version=3,
                                    position=7, type="workspace.created", schema="abc", occurred_at=at,
                                    actor="alice", correlation_id=correlation_id, causation_id=causation_id),
                           b"payload")
    made = stored_event(row, datetime.fromisoformat)
    assert made == expected
    assert type(made.payload) is bytes and made.position == 7
    assert stored_event((*row[:10], None, b"x")).envelope.causation_id is None
