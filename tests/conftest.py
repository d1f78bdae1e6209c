"""Shared fixtures. Services are started by `make test` (scripts/services); a test that needs one
connects to it and fails loudly when it is not there — it never skips."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from infra.git import GitCache
from infra.kafka.probe import BrokerUnavailableError, check_broker
from infra.store.postgres import PostgresEventStore
from infra.store.sqlite import SqliteEventStore
from tests.gitserver import GitDaemon, Seeded, SmartHttpServer, seed_repositories

KAFKA_BOOTSTRAP = os.environ.get("BERTH_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
PG_DSN = os.environ.get("BERTH_PG_DSN", "postgresql://postgres@127.0.0.1:15432/berth_test")


@contextlib.asynccontextmanager
async def fresh_pg_schema() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    try:
        connection = await asyncpg.connect(PG_DSN)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL at {PG_DSN} is not reachable ({error!r}); `make test` starts it")
    try:
        await connection.execute(f'CREATE SCHEMA "{name}"')
        yield name
        await connection.execute(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    async with fresh_pg_schema() as name:
        yield name


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
    store = await SqliteEventStore(tmp_path / "events.db", poll_interval=0.05).open()
    yield store
    await store.close()


@pytest.fixture
async def pg_store(pg_schema: str) -> AsyncIterator[PostgresEventStore]:
    store = await PostgresEventStore(PG_DSN, schema=pg_schema, poll_interval=0.05).open()
    yield store
    await store.close()


# Real git servers on loopback (git daemon, smart HTTP), shared by every test that needs a remote.
@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_repositories(tmp_path_factory.mktemp("git-repositories"))


@pytest.fixture(scope="session")
def git_daemon(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    with GitDaemon(seeded.root, tmp_path_factory.mktemp("git-daemon")) as daemon:
        yield daemon


@pytest.fixture(scope="session")
def git_http(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartHttpServer]:
    with SmartHttpServer(seeded.root, tmp_path_factory.mktemp("git-http")) as server:
        yield server


@pytest.fixture
def git_cache(tmp_path: Path) -> GitCache:
    """A cache of its own per test, so no test finds objects another one fetched."""
    return GitCache(tmp_path / "git-cache")


# The Kafka broker that `make test` starts; a test that needs it fails when it is not there.
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
