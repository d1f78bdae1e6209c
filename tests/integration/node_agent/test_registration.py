"""A node agent registers its node from what the real Docker engine reports, once per change of facts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from handlers.runtime.handler import HandlerContext
from infra.store.sqlite import SqliteEventStore
from node_agent.capacity import default_capacity
from node_agent.engine import Engine
from node_agent.registration import engine_facts, register_node, registration
from tests.factories import CODEC

pytestmark = pytest.mark.docker


async def test_a_restart_with_the_same_facts_appends_nothing_and_a_new_capacity_one_event(tmp_path: Path) -> None:
    engine = await asyncio.to_thread(Engine.connect)
    store = await SqliteEventStore(tmp_path / "berth.db").open()
    try:
        facts = await engine_facts(engine)
        assert facts.cpus >= 1 and facts.memory_bytes > 1 << 28
        context = HandlerContext(store, CODEC)
        first = await register_node(context, registration("n1", facts, None))
        assert first.capacity == default_capacity(facts.cpus, facts.memory_bytes)
        assert (first.name, first.cpus, first.memory_bytes) == ("n1", facts.cpus, facts.memory_bytes)
        for _ in range(3):  # restarts
            await register_node(context, registration("n1", await engine_facts(engine), None))
        assert [e.envelope.type for e in await store.read_stream("node-n1")] == ["node.registered"]

        changed = await register_node(context, registration("n1", facts, 3))
        assert changed.capacity == 3
        stream = await store.read_stream("node-n1")
        assert [e.envelope.type for e in stream] == ["node.registered"] * 2
        assert stream[-1].envelope.actor == "node-agent-n1"
    finally:
        await store.close()
        await asyncio.to_thread(engine.close)
