"""Workspace documents for the proxy, cached for a moment: a page load makes dozens of requests to one
workspace, and each would otherwise be a read-model query. A failed tunnel drops the entry, so a restarted
workspace (new supervisor port) is found again at once."""

from __future__ import annotations

import time
from collections.abc import Callable

from infra.readmodel.contract import Doc, ReadModelStore
from projections.workspaces import COLLECTION, PROJECTION

TTL = 2.0


class WorkspaceLookup:
    def __init__(self, views: ReadModelStore, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._views = views
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Doc]] = {}

    async def get(self, workspace_id: str) -> Doc | None:
        now = self._clock()
        cached = self._cache.get(workspace_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        doc = await self._views.get(PROJECTION, COLLECTION, workspace_id)
        if doc is None or not routable(doc):
            # Misses and workspaces not running yet are not cached: a starting workspace is reached the
            # moment its supervisor is up, not a cache lifetime later.
            self._cache.pop(workspace_id, None)
        else:
            self._cache[workspace_id] = (now, doc)
        return doc

    def invalidate(self, workspace_id: str) -> None:
        self._cache.pop(workspace_id, None)


def routable(doc: Doc) -> bool:
    return doc.get("phase") == "running" and isinstance(doc.get("supervisor_port"), int)
