"""Encode domain events as Avro with the current schema; decode any kept version into the current model."""

from __future__ import annotations

import io
import types
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from fastavro import schemaless_reader, schemaless_writer
from pydantic import ValidationError

from domain import event_catalog  # noqa: F401  (registers every event type)
from domain.errors import PermanentError
from domain.events import DomainEvent
from schemas.registry import SchemaRegistry, SchemaVersion, UnknownSchema, default_registry


class UndecodableEvent(PermanentError):
    """A payload that cannot be read as its declared type; the worker runtime parks it."""


@dataclass(frozen=True, slots=True)
class Encoded:
    event_type: str
    schema: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class _Reader:
    """How to read payloads of one writer schema: the registry's parsed schemas, the reader schema only when
    it differs from the writer's (then fastavro resolves old versions into the current one), and the model
    to build."""

    writer: SchemaVersion
    writer_schema: Any
    reader_schema: Any | None
    model: type[DomainEvent]
    constructible: bool
    """The model's fields are exactly the reader schema's and of plain types that Avro already checks
    (str, int, float, bool, lists of them, optional ones), with no validators: a record fastavro decoded
    is then a valid model as it is, and `decode_trusted` may build it without validating again."""


_PLAIN = (str, int, float, bool, bytes, type(None))


def _plain(annotation: Any) -> bool:
    if annotation in _PLAIN:
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return all(_plain(arg) for arg in get_args(annotation))
    if origin is list:
        (item,) = get_args(annotation)
        return item in _PLAIN
    return False


def _constructible(model: type[DomainEvent], reader: dict[str, Any]) -> bool:
    decorators = model.__pydantic_decorators__
    if any((decorators.validators, decorators.field_validators, decorators.root_validators,
            decorators.model_validators, decorators.computed_fields)):
        return False
    fields = model.model_fields
    if {field["name"] for field in reader.get("fields", [])} != set(fields):
        return False
    return all(_plain(field.annotation) for field in fields.values())


class EventCodec:
    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        self.registry = registry if registry is not None else default_registry()
        self._readers: dict[tuple[str, str], _Reader] = {}

    def encode(self, event: DomainEvent) -> Encoded:
        current = self.registry.current(event.TYPE)
        buffer = io.BytesIO()
        try:
            schemaless_writer(buffer, current.parsed, event.model_dump(mode="python"))
        except (ValueError, TypeError) as error:
            raise PermanentError(f"{event.TYPE} does not fit its schema v{current.version}: {error}") from error
        return Encoded(event.TYPE, current.fingerprint, buffer.getvalue())

    def decode(self, event_type: str, schema: str, payload: bytes) -> DomainEvent:
        reader = self._reader(event_type, schema)
        return self._validated(reader, event_type, self._read(reader, event_type, payload))

    def decode_trusted(self, event_type: str, schema: str, payload: bytes) -> DomainEvent:
        """`decode` for payloads read back from the event store, which only takes what `encode` made of a
        validated model: the record fastavro decodes (old writer versions resolved into the current
        schema, as `decode` does) becomes the model without pydantic validating it a second time, when
        the model allows it (see `_Reader.constructible`); otherwise it is validated as `decode` does."""
        reader = self._reader(event_type, schema)
        record = self._read(reader, event_type, payload)
        if reader.constructible:
            return reader.model.model_construct(**record)
        return self._validated(reader, event_type, record)

    @staticmethod
    def _validated(reader: _Reader, event_type: str, record: dict[str, Any]) -> DomainEvent:
        try:
            return reader.model.model_validate(record)
        except ValidationError as error:
            raise UndecodableEvent(f"{event_type} payload does not satisfy its model: {error}") from error

    def _reader(self, event_type: str, schema: str) -> _Reader:
        found = self._readers.get((event_type, schema))
        if found is not None:
            return found
        writer = self.registry.by_fingerprint(event_type, schema)
        current = self.registry.current(event_type)
        try:
            model = DomainEvent.registry[event_type]
        except KeyError:
            raise UnknownSchema(f"event type {event_type!r} has a schema but no domain model") from None
        made = _Reader(
            writer=writer,
            writer_schema=writer.parsed,
            reader_schema=None if current.fingerprint == writer.fingerprint else current.parsed,
            model=model,
            constructible=_constructible(model, current.raw),
        )
        self._readers[(event_type, schema)] = made
        return made

    @staticmethod
    def _read(reader: _Reader, event_type: str, payload: bytes) -> dict[str, Any]:
        buffer = io.BytesIO(payload)
        try:
            record = schemaless_reader(buffer, reader.writer_schema, reader.reader_schema)
        except Exception as error:  # fastavro raises many kinds on a corrupt payload
            raise UndecodableEvent(
                f"{event_type} payload is not valid Avro for schema v{reader.writer.version}: {error!r}"
            ) from error
        if buffer.tell() != len(payload):
            raise UndecodableEvent(
                f"{event_type} payload has {len(payload) - buffer.tell()} trailing bytes after the record"
            )
        if not isinstance(record, dict):
            raise UndecodableEvent(f"{event_type} payload is not a record")
        return record
