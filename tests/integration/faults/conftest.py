"""Fixtures of the fault tests: the real services (failing, never skipping, when one is missing),
PostgreSQL schemas and Kafka topic prefixes of each test's own, and every service running again at
the end of a test that stopped one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from infra.store.postgres import PostgresEventStore
from tests.conftest import PG_DSN
from tests.integration.faults.services import ensure_running


async def _execute(statement: str) -> None:
    """On a connection of its own: a test that restarts PostgreSQL breaks every connection it had."""
    try:
        connection = await asyncpg.connect(PG_DSN)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL at {PG_DSN} is not reachable ({error!r}); start it with "
                    "scripts/services/postgres.sh start")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards (over a new connection)."""
    name = f"f_{uuid.uuid4().hex[:12]}"
    await _execute(f'CREATE SCHEMA "{name}"')
    yield name
    await _execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
async def pg_store(schema: str) -> AsyncIterator[PostgresEventStore]:
    store = await PostgresEventStore(PG_DSN, schema=schema, poll_interval=0.05).open()
    yield store
    await store.close()


@pytest.fixture
async def services_restored(schema: str, prefix: str) -> AsyncIterator[None]:
    """For tests that stop services: whatever happens, PostgreSQL and Kafka run again afterwards
    (before the schema and the topics are cleaned up, which is why it depends on them)."""
    yield
    await ensure_running("postgres", "kafka")


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path / "logs"
