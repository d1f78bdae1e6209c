"""The event envelope as Kafka record headers, and back: the one place both ends agree on the format.

Every envelope field travels as its own UTF-8 header named like the field, so integrations can route and
filter on headers without decoding the Avro payload. `causation_id` is left out when the event has no
cause; every other header must be present exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from domain.envelope import Envelope
from domain.errors import PermanentError

Headers = list[tuple[str, bytes]]

REQUIRED = (
    "event_id",
    "stream_id",
    "stream_type",
    "version",
    "position",
    "type",
    "schema",
    "occurred_at",
    "actor",
    "correlation_id",
)
OPTIONAL = ("causation_id",)


class MalformedHeadersError(PermanentError):
    """A record whose headers are not a Berth envelope; `field` names the first bad one."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(f"header {field!r}: {message}")
        self.field = field


def encode(envelope: Envelope) -> Headers:
    values = {
        "event_id": str(envelope.event_id),
        "stream_id": envelope.stream_id,
        "stream_type": envelope.stream_type,
        "version": str(envelope.version),
        "position": str(envelope.position),
        "type": envelope.type,
        "schema": envelope.schema,
        "occurred_at": envelope.occurred_at.isoformat(),
        "actor": envelope.actor,
        "correlation_id": str(envelope.correlation_id),
    }
    if envelope.causation_id is not None:
        values["causation_id"] = str(envelope.causation_id)
    return [(name, value.encode()) for name, value in values.items()]


def decode(headers: Iterable[tuple[str, bytes]]) -> Envelope:
    text = _texts(headers)
    for name in REQUIRED:
        if name not in text:
            raise MalformedHeadersError("missing", name)
    causation = text.get("causation_id")
    return Envelope(
        event_id=_uuid(text, "event_id"),
        stream_id=text["stream_id"],
        stream_type=text["stream_type"],
        version=_int(text, "version"),
        position=_int(text, "position"),
        type=text["type"],
        schema=text["schema"],
        occurred_at=_time(text, "occurred_at"),
        actor=text["actor"],
        correlation_id=_uuid(text, "correlation_id"),
        causation_id=None if causation is None else _uuid(text, "causation_id"),
    )


def _texts(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    text: dict[str, str] = {}
    for name, value in headers:
        if name not in REQUIRED and name not in OPTIONAL:
            continue  # headers added by others (tracing, integrations) are theirs, not ours to reject
        if name in text:
            raise MalformedHeadersError("appears more than once", name)
        try:
            text[name] = bytes(value).decode()
        except (UnicodeDecodeError, TypeError) as error:
            raise MalformedHeadersError(f"is not UTF-8 text: {error}", name) from None
    return text


def _uuid(text: dict[str, str], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(text[name])
    except ValueError:
        raise MalformedHeadersError(f"{text[name]!r} is not a UUID", name) from None


def _int(text: dict[str, str], name: str) -> int:
    try:
        number = int(text[name])
    except ValueError:
        raise MalformedHeadersError(f"{text[name]!r} is not an integer", name) from None
    if number < 1:
        raise MalformedHeadersError(f"{number} is not positive", name)
    return number


def _time(text: dict[str, str], name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text[name])
    except ValueError:
        raise MalformedHeadersError(f"{text[name]!r} is not an ISO 8601 time", name) from None
    if moment.tzinfo is None:
        raise MalformedHeadersError(f"{text[name]!r} has no UTC offset", name)
    return moment
