"""Store specs a child process can be given on its command line: `sqlite:<path>` or `postgres:<schema>`."""

from __future__ import annotations

from pathlib import Path

from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from infra.store.sqlite import SqliteEventStore
from tests.conftest import PG_DSN


async def open_store(spec: str, poll_interval: float = 0.05) -> EventStore:
    kind, _, where = spec.partition(":")
    if kind == "sqlite":
        return await SqliteEventStore(Path(where), poll_interval=poll_interval).open()
    if kind == "postgres":
        return await PostgresEventStore(PG_DSN, schema=where, poll_interval=poll_interval).open()
    raise ValueError(f"not a store spec: {spec!r}")


def spec_of(store: EventStore) -> str:
    if isinstance(store, SqliteEventStore):
        return f"sqlite:{store.path}"
    assert isinstance(store, PostgresEventStore)
    return f"postgres:{store.schema}"
