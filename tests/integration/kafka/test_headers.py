"""The envelope <-> Kafka headers codec shared by the relay and the consumer source."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.envelope import Envelope
from infra.kafka import headers

Change = Callable[[headers.Headers], headers.Headers]


def envelope(causation_id: uuid.UUID | None) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(), stream_id="workspace-amber-otter-k3x9qa", stream_type="workspace", version=3,
        position=1234567890123, type="workspace.instance_phase_changed", schema="9f2c1e0a7b3d5f68",
        occurred_at=datetime(2026, 11, 30, 11, 47, 5, 123456, tzinfo=UTC), actor="scheduler",
        correlation_id=uuid.uuid4(), causation_id=causation_id,
    )


@pytest.mark.parametrize("causation_id", [uuid.uuid4(), None])
def test_round_trip_gives_the_same_envelope(causation_id: uuid.UUID | None) -> None:
    original = envelope(causation_id)
    encoded = headers.encode(original)
    assert all(isinstance(name, str) and isinstance(value, bytes) for name, value in encoded)
    assert headers.decode(encoded) == original


def test_every_field_is_a_readable_header() -> None:
    original = envelope(uuid.uuid4())
    text = {name: value.decode() for name, value in headers.encode(original)}
    assert text == {
        "event_id": str(original.event_id), "stream_id": original.stream_id, "stream_type": "workspace",
        "version": "3", "position": "1234567890123", "type": original.type, "schema": original.schema,
        "occurred_at": "2026-11-30T11:47:05.123456+00:00", "actor": "scheduler",
        "correlation_id": str(original.correlation_id), "causation_id": str(original.causation_id),
    }


def test_no_causation_header_without_a_cause() -> None:
    assert "causation_id" not in dict(headers.encode(envelope(None)))


def test_other_offsets_and_foreign_headers_are_kept_apart() -> None:
    original = envelope(None)
    eastern = timezone(timedelta(hours=-5))
    moved = dataclasses.replace(original, occurred_at=original.occurred_at.astimezone(eastern))
    encoded = [("traceparent", b"00-abc-def-01"), *headers.encode(moved)]
    assert headers.decode(encoded) == original  # same instant, and the tracing header is ignored


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda h: [(n, v) for n, v in h if n != "position"], "position"),
        (lambda h: [*h, ("version", b"4")], "version"),
        (lambda h: [(n, b"not-a-uuid" if n == "event_id" else v) for n, v in h], "event_id"),
        (lambda h: [(n, b"x" if n == "version" else v) for n, v in h], "version"),
        (lambda h: [(n, b"0" if n == "position" else v) for n, v in h], "position"),
        (lambda h: [(n, b"2026-11-30T11:47:05" if n == "occurred_at" else v) for n, v in h], "occurred_at"),
        (lambda h: [(n, b"\xff\xfe" if n == "actor" else v) for n, v in h], "actor"),
    ],
)
def test_malformed_headers_name_the_field(change: Change, field: str) -> None:
    with pytest.raises(headers.MalformedHeadersError) as raised:
        headers.decode(change(headers.encode(envelope(uuid.uuid4()))))
    assert raised.value.field == field
    assert field in str(raised.value)

