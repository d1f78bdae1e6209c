"""Where a worker's events come from: the store's log (embedded) or Kafka (distributed).

The worker runtime is the same in both modes; only the source differs. A source delivers stored events
(payloads still encoded) in order per stream, and is told when each is done so it can move its resume
point (a checkpoint in the store, or committed Kafka offsets) past everything finished.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from infra.store.records import StoredEvent


class EventSource(Protocol):
    def events(self) -> AsyncIterator[StoredEvent]:
        """Deliver events until `close()`; may redeliver after a restart (tracking makes that harmless)."""

    async def done(self, event: StoredEvent) -> None:
        """The runtime finished `event` (handled, skipped or parked)."""

    async def close(self) -> None:
        """Stop delivering and persist the resume point of everything done so far."""
