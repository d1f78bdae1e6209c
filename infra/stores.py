"""Opens the stores the settings' mode calls for."""

from __future__ import annotations

from dataclasses import dataclass

from infra.readmodel.contract import ReadModelStore
from infra.readmodel.postgres import PostgresReadModelStore
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.settings import Mode, Settings
from infra.store.contract import EventStore
from infra.store.postgres import PostgresEventStore
from infra.store.sqlite import SqliteEventStore


@dataclass
class Stores:
    events: EventStore
    views: ReadModelStore

    async def close(self) -> None:
        await self.views.close()
        await self.events.close()


async def open_stores(settings: Settings) -> Stores:
    if settings.mode is Mode.EMBEDDED:
        settings.home.mkdir(parents=True, exist_ok=True)
        return Stores(await SqliteEventStore(settings.database).open(),
                      await SqliteReadModelStore(settings.database).open())
    return Stores(await PostgresEventStore(settings.pg_dsn, schema=settings.pg_schema).open(),
                  await PostgresReadModelStore(settings.pg_dsn, schema=settings.pg_schema).open())
