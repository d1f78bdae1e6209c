"""Base of every domain event payload, and the registry of event types.

Each subclass mirrors one Avro schema in `schemas/avro/<type>/v<version>.avsc` (the newest version);
a test holds every model and its schema equal field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from domain.envelope import Envelope


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    """Dotted name, `<stream type>.<what happened>`, e.g. `workspace.created`."""

    registry: ClassVar[dict[str, type[DomainEvent]]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        event_type = cls.__dict__.get("TYPE")
        if event_type is None:
            return
        if event_type in DomainEvent.registry:
            raise TypeError(f"event type {event_type!r} is defined twice")
        DomainEvent.registry[event_type] = cls


def stream_type_of_event(event_type: str) -> str:
    """`workspace.created` -> `workspace`: the stream type an event type belongs to."""
    return event_type.partition(".")[0]


@dataclass(frozen=True, slots=True)
class Recorded:
    """A stored event with its payload decoded: what handlers and projections receive."""

    envelope: Envelope
    payload: DomainEvent
