"""Every domain event model and the newest Avro schema of its type agree field by field."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic.fields import FieldInfo

from domain import event_catalog  # noqa: F401  (registers every event type)
from domain.events import DomainEvent
from schemas.registry import default_registry

_PRIMITIVES: dict[Any, str] = {str: "string", int: "long", float: "double", bool: "boolean", bytes: "bytes"}


def avro_type_of(annotation: Any) -> Any:
    """The Avro type a pydantic field annotation must have in the schema."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
        # Avro takes a union's default from its first branch, so optional fields list null first.
        nullable = ["null"] if type(None) in members else []
        return nullable + [avro_type_of(m) for m in members if m is not type(None)]
    if origin is list:
        return {"type": "array", "items": avro_type_of(typing.get_args(annotation)[0])}
    if origin is dict:
        return {"type": "map", "values": avro_type_of(typing.get_args(annotation)[1])}
    return _PRIMITIVES[annotation]


def avro_default_of(field: FieldInfo) -> Any:
    return field.default


MODELS = sorted(DomainEvent.registry.items())


def test_every_model_has_a_schema_and_every_schema_a_model() -> None:
    assert set(DomainEvent.registry) == set(default_registry().event_types)


@pytest.mark.parametrize(("event_type", "model"), MODELS, ids=[t for t, _ in MODELS])
def test_model_fields_equal_schema_fields(event_type: str, model: type[DomainEvent]) -> None:
    schema = default_registry().current(event_type).raw
    schema_fields = {f["name"]: f for f in schema["fields"]}
    assert list(schema_fields) == list(model.model_fields), "same fields in the same order"
    for name, field in model.model_fields.items():
        declared = schema_fields[name]
        assert declared["type"] == avro_type_of(field.annotation), name
        if field.is_required():
            assert "default" not in declared, f"{name} is required in the model but has a schema default"
        else:
            assert declared.get("default", "<none>") == avro_default_of(field), name
