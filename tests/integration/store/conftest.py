from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from infra.store.sqlite import SqliteEventStore
from tests.conftest import PG_DSN, fresh_pg_schema

StoreFactory = Callable[[], Awaitable[EventStore]]


@pytest.fixture(params=["sqlite", "postgres"])
async def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Opens stores on one database: the contract holds for each, and for several at once."""
    async with contextlib.AsyncExitStack() as stack:
        schema = await stack.enter_async_context(fresh_pg_schema()) if request.param == "postgres" else None
        opened: list[EventStore] = []
        stack.push_async_callback(close_all, opened)
        yield factory(tmp_path, schema, opened)


async def close_all(stores: list[EventStore]) -> None:
    for store in stores:
        await store.close()


def factory(tmp_path: Path, schema: str | None, opened: list[EventStore]) -> StoreFactory:
    async def open_store() -> EventStore:
        store: EventStore
        if schema is None:
            store = await SqliteEventStore(tmp_path / "events.db", poll_interval=0.05).open()
        else:
            store = await PostgresEventStore(PG_DSN, schema=schema, poll_interval=0.05).open()
        opened.append(store)
        return store

    return open_store


@pytest.fixture
async def store(store_factory: StoreFactory) -> EventStore:
    return await store_factory()
