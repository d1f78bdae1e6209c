"""Fixtures of the Kafka transport tests: the real broker of scripts/services/kafka.sh, a topic prefix
of their own per test (deleted afterwards), and the relay's source store on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka.probe import BrokerUnavailableError, check_broker
from infra.store.contract import EventStore

KAFKA_BOOTSTRAP = os.environ.get("BERTH_KAFKA_BOOTSTRAP", "127.0.0.1:19092")


@pytest.fixture
async def bootstrap() -> str:
    try:
        await check_broker(KAFKA_BOOTSTRAP)
    except BrokerUnavailableError as error:
        pytest.fail(f"{error}; start it with scripts/services/kafka.sh start")
    return KAFKA_BOOTSTRAP


@pytest.fixture
async def prefix(bootstrap: str) -> AsyncIterator[str]:
    """Topics of this test only: `t<hex>.berth.<stream type>`, so tests never read each other's events."""
    name = f"t{uuid.uuid4().hex[:10]}.berth."
    yield name
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        ours = [topic for topic in await admin.list_topics() if topic.startswith(name)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> EventStore:
    """The relay's source of truth, each implementation in turn (fixtures of tests/conftest.py).
    Not async: an async fixture cannot resolve other async fixtures by name."""
    fixture = "sqlite_store" if request.param == "sqlite" else "pg_store"
    opened: EventStore = request.getfixturevalue(fixture)
    return opened
