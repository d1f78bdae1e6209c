"""Encode domain events as Avro with the current schema; decode any kept version into the current model."""

from __future__ import annotations

import io
from dataclasses import dataclass

from fastavro import schemaless_reader, schemaless_writer
from pydantic import ValidationError

from domain import event_catalog  # noqa: F401  (registers every event type)
from domain.errors import PermanentError
from domain.events import DomainEvent
from schemas.registry import SchemaRegistry, UnknownSchema, default_registry


class UndecodableEvent(PermanentError):
    """A payload that cannot be read as its declared type; the worker runtime parks it."""


@dataclass(frozen=True, slots=True)
class Encoded:
    event_type: str
    schema: str
    payload: bytes


class EventCodec:
    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        self.registry = registry if registry is not None else default_registry()

    def encode(self, event: DomainEvent) -> Encoded:
        current = self.registry.current(event.TYPE)
        buffer = io.BytesIO()
        try:
            schemaless_writer(buffer, current.parsed, event.model_dump(mode="python"))
        except (ValueError, TypeError) as error:
            raise PermanentError(f"{event.TYPE} does not fit its schema v{current.version}: {error}") from error
        return Encoded(event.TYPE, current.fingerprint, buffer.getvalue())

    def decode(self, event_type: str, schema: str, payload: bytes) -> DomainEvent:
        writer = self.registry.by_fingerprint(event_type, schema)
        reader = self.registry.current(event_type)
        try:
            model = DomainEvent.registry[event_type]
        except KeyError:
            raise UnknownSchema(f"event type {event_type!r} has a schema but no domain model") from None
        buffer = io.BytesIO(payload)
        try:
            record = schemaless_reader(buffer, writer.parsed, reader.parsed)
        except Exception as error:  # fastavro raises many kinds on a corrupt payload
            raise UndecodableEvent(
                f"{event_type} payload is not valid Avro for schema v{writer.version}: {error!r}"
            ) from error
        if buffer.tell() != len(payload):
            raise UndecodableEvent(
                f"{event_type} payload has {len(payload) - buffer.tell()} trailing bytes after the record"
            )
        try:
            return model.model_validate(record)
        except ValidationError as error:
            raise UndecodableEvent(f"{event_type} payload does not satisfy its model: {error}") from error
