"""The workload of bench/event_pipeline.py: real workspace lifecycles, encoded with the real codec.

Each workspace stream gets the ten events of a lifecycle (created, an instance requested and driven
through its phases to stopped, then a second instance requested). Writes are planned as transactions
of `TX_EVENTS` events spanning `TX_EVENTS // STREAM_CHUNK` streams, round-robin over the workspaces,
so consecutive transactions touch different streams, as many concurrent users would.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from domain.envelope import Cause, stream_type_of
from domain.events import DomainEvent
from domain.workspace.events import InstancePhaseChanged, InstanceRequested, WorkspaceCreated
from domain.workspace.ids import new_workspace_id
from infra.store.records import Append, NewEvent
from schemas.codec import EventCodec

TX_EVENTS = 20
"""Events per transaction in the append measurements."""
STREAM_CHUNK = 5
"""Consecutive events of one stream inside one transaction (so a transaction spans 4 streams)."""
LIFECYCLE_EVENTS = 10

_PHASES = ("preparing", "scheduled", "creating", "initializing", "running", "stopping", "stopped")


def lifecycle(workspace_id: str, rng: random.Random) -> list[DomainEvent]:
    owner = rng.choice(("alice", "bob", "carol", "dave", "erin"))
    first, second = f"i-{uuid.uuid4().hex[:12]}", f"i-{uuid.uuid4().hex[:12]}"
    events: list[DomainEvent] = [
        WorkspaceCreated(workspace_id=workspace_id, owner=owner,
                         context_url=f"https://git.example/{owner}/{workspace_id}.git"),
        InstanceRequested(instance_id=first),
    ]
    events += [InstancePhaseChanged(instance_id=first, phase=phase) for phase in _PHASES]
    events.append(InstanceRequested(instance_id=second))
    return events


@dataclass(frozen=True, slots=True)
class Workspace:
    stream_id: str
    events: tuple[NewEvent, ...]


def workspaces(count: int, codec: EventCodec, *, seed: int = 11, prefix: str = "") -> list[Workspace]:
    """`count` workspaces with their lifecycle events encoded (ids and times fixed now, before timing)."""
    rng = random.Random(seed)
    made: list[Workspace] = []
    seen: set[str] = set()
    while len(made) < count:
        workspace_id = prefix + new_workspace_id(rng)
        if workspace_id in seen:
            continue
        seen.add(workspace_id)
        cause = Cause("bench")
        encoded = tuple(NewEvent.of(codec.encode(event), cause) for event in lifecycle(workspace_id, rng))
        made.append(Workspace(f"workspace-{workspace_id}", encoded))
    return made


def transactions(spaces: Sequence[Workspace], tx_events: int = TX_EVENTS,
                 chunk: int = STREAM_CHUNK) -> list[list[Append]]:
    """Every event of `spaces` exactly once, as transactions of `tx_events` events (the last may be
    smaller), each made of `chunk`-event appends to different streams, every stream in version order."""
    appends = [
        Append(space.stream_id, space.events[start:start + chunk], start)
        for start in range(0, LIFECYCLE_EVENTS, chunk)
        for space in spaces
    ]
    per_tx = max(1, tx_events // chunk)
    return [appends[i:i + per_tx] for i in range(0, len(appends), per_tx)]


def singles(spaces: Sequence[Workspace]) -> Iterator[Append]:
    """Every event as its own one-event append, round-robin over the streams (the latency workload)."""
    for version in range(LIFECYCLE_EVENTS):
        for space in spaces:
            yield Append(space.stream_id, (space.events[version],), version)


def event_count(plan: Sequence[Sequence[Append]]) -> int:
    return sum(len(append.events) for tx in plan for append in tx)


def sqlite_rows(plan: Sequence[Sequence[Append]]) -> list[list[tuple[Any, ...]]]:
    """The rows the SQLite store writes for `plan`, transaction by transaction, with the positions it
    would assign to an empty log: what the raw-insert floor inserts."""
    position = 0
    rows: list[list[tuple[Any, ...]]] = []
    for tx in plan:
        tx_rows = []
        for append in tx:
            for offset, event in enumerate(append.events, start=1):
                position += 1
                tx_rows.append((
                    position, str(event.event_id), append.stream_id, stream_type_of(append.stream_id),
                    append.expected_version + offset, event.type, event.schema, event.occurred_at.isoformat(),
                    event.actor, str(event.correlation_id),
                    None if event.causation_id is None else str(event.causation_id), event.payload,
                ))
        rows.append(tx_rows)
    return rows
