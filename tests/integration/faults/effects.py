"""The non-idempotent handler of the fault tests, and how its effects are counted.

For each workspace event the handler appends one record to an effects stream of its own
(`effects-<consumer>.<source stream>`) at that stream's current version: handling an event twice
leaves two records, so "exactly once" can be read back from the store. Each record is caused by its
source event (causation id = the source's event id), which is what the counting goes by.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from domain.envelope import Cause
from domain.events import Recorded
from domain.workspace.events import InstancePhaseChanged, WorkspaceCreated, WorkspaceDeleted
from handlers.runtime.handler import HandlerContext
from infra.store.contract import EventStore
from infra.store.records import Append, NewEvent, StoredEvent
from schemas.codec import EventCodec

CODEC = EventCodec()
SOURCE_TYPES = frozenset({WorkspaceCreated.TYPE, InstancePhaseChanged.TYPE})
PHASES = ("pending", "preparing", "scheduled", "creating", "initializing", "running", "stopping", "stopped")

Hook = Callable[[Recorded], Awaitable[None]]


def effects_stream(consumer: str, source_stream: str) -> str:
    return f"effects-{consumer}.{source_stream}"


@dataclass
class EffectHandler:
    name: str
    before_read: Hook | None = None  # before it looks at the effects stream (a delay, a freeze)
    before_commit: Hook | None = None  # after the effect is decided, before the runtime commits it

    @property
    def event_types(self) -> frozenset[str]:
        return SOURCE_TYPES

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        if self.before_read is not None:
            await self.before_read(event)
        stream = effects_stream(self.name, event.envelope.stream_id)
        version = await context.store.stream_version(stream)
        record = WorkspaceDeleted(reason=str(event.envelope.event_id))  # a type the handler does not react to
        effect = context.append(stream, [record], version, Cause(self.name).following(event.envelope, self.name))
        if self.before_commit is not None:
            await self.before_commit(event)
        return [effect]


def source_event(stream_id: str, version: int) -> NewEvent:
    """The `version`-th event of a workspace stream: created, then phase changes."""
    workspace_id = stream_id.removeprefix("workspace-")
    payload = (
        WorkspaceCreated(workspace_id=workspace_id, owner="alice",
                         context_url=f"https://git.example/alice/{workspace_id}")
        if version == 1
        else InstancePhaseChanged(instance_id=f"{workspace_id}-i1", phase=PHASES[version % len(PHASES)])
    )
    return NewEvent.of(CODEC.encode(payload), Cause("faults"))


async def append_history(store: EventStore, streams: list[str], per_stream: int, first: int = 1) -> list[StoredEvent]:
    """Versions `first`.. of each stream (`per_stream` of them), appended round-robin so the global log
    interleaves the streams."""
    stored: list[StoredEvent] = []
    for version in range(first, first + per_stream):
        for stream_id in streams:
            stored += await store.append(stream_id, [source_event(stream_id, version)], version - 1)
    return stored


async def read_everything(store: EventStore) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    while page := await store.read_all(events[-1].position if events else 0, 1000):
        events += page
    return events


async def effect_counts(store: EventStore, consumer: str) -> Counter[uuid.UUID]:
    """How many effects `consumer` recorded per source event id."""
    counts: Counter[uuid.UUID] = Counter()
    for event in await read_everything(store):
        envelope = event.envelope
        if envelope.stream_type == "effects" and envelope.stream_id.startswith(f"effects-{consumer}."):
            assert envelope.causation_id is not None, f"effect {envelope} has no cause"
            counts[envelope.causation_id] += 1
    return counts


def exactly_once_problems(counts: Counter[uuid.UUID], sources: Iterable[uuid.UUID]) -> list[str]:
    """What is wrong with the effects of `sources` (none missing, none twice, none of anything else)."""
    wanted = list(sources)
    problems = [f"{event_id}: {counts[event_id]} effects" for event_id in wanted if counts[event_id] != 1]
    problems += [f"{event_id}: an effect of no source event" for event_id in counts.keys() - set(wanted)]
    return problems


def doubled(counts: Counter[uuid.UUID]) -> list[uuid.UUID]:
    return [event_id for event_id, count in counts.items() if count > 1]
