"""The read model store contract: documents by (collection, key) per projection, saved atomically with
the projection's checkpoint, so a read model and how far it has read never disagree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Protocol

from domain.errors import Conflict

Doc = dict[str, Any]


class DocKey(NamedTuple):
    collection: str
    key: str


class CheckpointMoved(Conflict):
    """Another runner (a replay) moved the projection's checkpoint: reload and continue from there."""


class ReadModelStore(Protocol):
    async def checkpoint(self, projection: str) -> int: ...

    async def load(self, projection: str, keys: Iterable[DocKey]) -> dict[DocKey, Doc]:
        """The documents that exist among `keys`."""

    async def save(self, projection: str, changes: Mapping[DocKey, Doc | None], expected_checkpoint: int,
                   checkpoint: int) -> None:
        """Write (None deletes) and move the checkpoint, all or nothing; CheckpointMoved when the stored
        checkpoint is not `expected_checkpoint`."""

    async def get(self, projection: str, collection: str, key: str) -> Doc | None: ...

    async def list(self, projection: str, collection: str) -> list[Doc]: ...

    async def dump(self, projection: str) -> dict[DocKey, Doc]:
        """Every document of a projection (to compare a rebuilt read model with the live one)."""

    async def reset(self, projection: str) -> None:
        """Forget every document and the checkpoint: the next run rebuilds from the start of the log."""

    async def close(self) -> None: ...
