"""What a projection is: a pure fold of events into documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from domain.events import Recorded
from infra.readmodel.contract import Doc, DocKey


class Projection(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def event_types(self) -> frozenset[str]: ...

    def keys(self, event: Recorded) -> Sequence[DocKey]:
        """The documents this event may change."""

    def apply(self, event: Recorded, docs: Mapping[DocKey, Doc | None]) -> dict[DocKey, Doc | None]:
        """The new versions of those documents (None deletes). Pure: same input, same output."""
