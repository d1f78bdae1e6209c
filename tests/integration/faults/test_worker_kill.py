"""A worker process SIGKILLed at chosen and at random points: every event still has exactly one effect.

The child (worker_process.py) runs the real Worker over the store's log with a handler whose effect is
not idempotent (one more record on an effects stream at its current version). It is killed
- "before": after the handler decided an effect, before the runtime committed it (nothing may remain);
- "after": after the effect and its tracking record committed, before the checkpoint moved past it
  (the restart redelivers the event and must not redo the effect);
- "random": while it works through events on several streams at once (kills land mid-commit too).
After each kill a fresh process takes over; a last one runs to the end. The store is a real SQLite file,
then a PostgreSQL schema.
"""

from __future__ import annotations

import os
import random
import uuid
from pathlib import Path

import pytest

from infra.store.contract import EventStore
from infra.store.records import StoredEvent
from tests.integration.faults.children import Child
from tests.integration.faults.effects import append_history, doubled, effect_counts, exactly_once_problems
from tests.integration.faults.stores import spec_of

WORKER = "tests.integration.faults.worker_process"
ROUNDS = ("before", "after", "random", "before", "after", "random", "after", "before")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> EventStore:
    """Not async: an async fixture cannot resolve other async fixtures by name."""
    opened: EventStore = request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "pg_store")
    return opened


async def test_a_worker_killed_anywhere_leaves_every_effect_exactly_once(store: EventStore, logs: Path) -> None:
    seed = int(os.environ.get("BERTH_FAULTS_SEED") or random.randrange(2**32))
    print(f"seed {seed}")  # shown with a failure: BERTH_FAULTS_SEED=<seed> replays the same kill points
    rng = random.Random(seed)
    streams = [f"workspace-k{index}-{uuid.uuid4().hex[:6]}" for index in range(8)]
    history = await append_history(store, streams, per_stream=8)
    consumer = f"fx{uuid.uuid4().hex[:6]}"
    spec = spec_of(store)
    kills: list[str] = []

    for kind in ROUNDS:
        counts = await effect_counts(store, consumer)
        assert not doubled(counts), f"effects done twice after kills {kills}: {doubled(counts)}"
        pending = [event for event in history if counts[event.envelope.event_id] == 0]
        if not pending:
            break
        interval = rng.choice(["0", "3600"])  # checkpoint at every event, or never (before the kill)
        if kind == "random":
            kills.append(await kill_at_random(spec, consumer, pending, rng, interval, logs))
        else:
            # The next event of a random stream: reached at once, so each round leaves work for the next.
            stream_id = rng.choice(sorted({event.stream_id for event in pending}))
            target = next(event for event in pending if event.stream_id == stream_id)
            kills.append(await kill_at(spec, consumer, kind, target, interval, logs))
            after = await effect_counts(store, consumer)
            assert after[target.envelope.event_id] == (0 if kind == "before" else 1), kills
            assert await store.checkpoint(consumer) < target.position, "killed after its checkpoint"
    assert len(kills) >= 6, f"the events ran out after {kills}: too few kill points"

    print("kills:", *kills, sep="\n  ")
    child = await Child.start(WORKER, spec, consumer, "--until", str(history[-1].position), "--delay", "0.002",
                              "--checkpoint-interval", "0.1", logs=logs)
    try:
        await child.expect("finished", within=90)
        assert await child.wait(30) == 0
    finally:
        await child.cleanup()

    counts = await effect_counts(store, consumer)
    problems = exactly_once_problems(counts, [event.envelope.event_id for event in history])
    assert not problems, f"after kills {kills}: {problems}"
    assert await store.dead_letters() == []
    assert await store.checkpoint(consumer) >= history[-1].position


async def kill_at(spec: str, consumer: str, kind: str, target: StoredEvent, interval: str, logs: Path) -> str:
    child = await Child.start(WORKER, spec, consumer, "--pause", kind, str(target.position), "--delay", "0.01",
                              "--checkpoint-interval", interval, logs=logs)
    try:
        await child.expect("ready")
        await child.expect(f"paused {kind} {target.position}", within=60)
        await child.kill()
    finally:
        await child.cleanup()
    return f"{kind} {target.position} (checkpoint every {interval}s)"


async def kill_at_random(spec: str, consumer: str, pending: list[StoredEvent], rng: random.Random,
                         interval: str, logs: Path) -> str:
    """Killed as soon as it has handled a few new events, while it is busy with others."""
    wanted = {event.position for event in pending}
    count = rng.randint(1, min(6, len(wanted)))
    child = await Child.start(WORKER, spec, consumer, "--delay", "0.01", "--checkpoint-interval", interval,
                              logs=logs)
    try:
        await child.expect("ready")
        handled = 0
        while handled < count:
            line = await child.expect("handled ", within=60)
            handled += int(line.split()[1]) in wanted
        await child.kill()
    finally:
        await child.cleanup()
    return f"random after {count} new (checkpoint every {interval}s)"
