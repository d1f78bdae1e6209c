"""Read models in PostgreSQL (distributed mode), in the same database as the event log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import asyncpg

from infra.readmodel.contract import CheckpointMoved, Doc, DocKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS read_models (
    projection TEXT NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    doc JSONB NOT NULL,
    PRIMARY KEY (projection, collection, key)
);
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    projection TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
"""


class PostgresReadModelStore:
    def __init__(self, dsn: str, *, schema: str = "public") -> None:
        self.dsn = dsn
        self.schema = schema
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> PostgresReadModelStore:
        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=5,
                                               server_settings={"search_path": self.schema}, reset=_keep_session)
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(4243)")
            await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await connection.execute(SCHEMA)
        return self

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL read model store is not open")
        return self._pool

    async def checkpoint(self, projection: str) -> int:
        value = await self.pool.fetchval(
            "SELECT position FROM projection_checkpoints WHERE projection = $1", projection)
        return 0 if value is None else int(value)

    async def load(self, projection: str, keys: Iterable[DocKey]) -> dict[DocKey, Doc]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        rows = await self.pool.fetch(
            "SELECT r.collection, r.key, r.doc::text FROM read_models r "
            "JOIN unnest($2::text[], $3::text[]) AS w(collection, key) USING (collection, key) "
            "WHERE r.projection = $1",
            projection, [k.collection for k in wanted], [k.key for k in wanted],
        )
        return {DocKey(row[0], row[1]): json.loads(row[2]) for row in rows}

    async def save(self, projection: str, changes: Mapping[DocKey, Doc | None], expected_checkpoint: int,
                   checkpoint: int) -> None:
        # In key order, as the SQLite store does: a rebuild writes thousands of documents per transaction.
        upserts = sorted((projection, k.collection, k.key, json.dumps(d)) for k, d in changes.items() if d is not None)
        deletes = [(projection, k.collection, k.key) for k, d in changes.items() if d is None]
        async with self.pool.acquire() as connection, connection.transaction():
            await _writing(connection, projection)
            current = await connection.fetchval(
                "SELECT position FROM projection_checkpoints WHERE projection = $1", projection)
            if (current or 0) != expected_checkpoint:
                raise CheckpointMoved(f"{projection} is at {current or 0}, not {expected_checkpoint}")
            if upserts:
                await connection.executemany(
                    "INSERT INTO read_models (projection, collection, key, doc) VALUES ($1, $2, $3, $4::jsonb) "
                    "ON CONFLICT (projection, collection, key) DO UPDATE SET doc = excluded.doc", upserts)
            if deletes:
                await connection.executemany(
                    "DELETE FROM read_models WHERE projection = $1 AND collection = $2 AND key = $3", deletes)
            await connection.execute(
                "INSERT INTO projection_checkpoints (projection, position) VALUES ($1, $2) "
                "ON CONFLICT (projection) DO UPDATE SET position = excluded.position", projection, checkpoint)

    async def get(self, projection: str, collection: str, key: str) -> Doc | None:
        found = await self.load(projection, [DocKey(collection, key)])
        return found.get(DocKey(collection, key))

    async def list(self, projection: str, collection: str) -> list[Doc]:
        rows = await self.pool.fetch(
            "SELECT doc::text FROM read_models WHERE projection = $1 AND collection = $2 ORDER BY key",
            projection, collection)
        return [json.loads(row[0]) for row in rows]

    async def dump(self, projection: str) -> dict[DocKey, Doc]:
        rows = await self.pool.fetch(
            "SELECT collection, key, doc::text FROM read_models WHERE projection = $1", projection)
        return {DocKey(row[0], row[1]): json.loads(row[2]) for row in rows}

    async def reset(self, projection: str) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await _writing(connection, projection)
            await connection.execute("DELETE FROM read_models WHERE projection = $1", projection)
            await connection.execute("DELETE FROM projection_checkpoints WHERE projection = $1", projection)


async def _writing(connection: asyncpg.Connection, projection: str) -> None:
    """One writer of a projection at a time, until its transaction ends. A row lock on the checkpoint is not
    enough: there is no row to lock before the first save or after a reset, and a reset deleting documents
    beside a save upserting them (a replay next to a live runner) took row locks in opposite orders and
    deadlocked."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext('berth.projection.' || $1))", projection)


async def _keep_session(_: asyncpg.Connection) -> None:
    """asyncpg resets every connection it takes back (unlisten, close cursors, reset settings): a round
    trip per use. These stores set nothing on a session but its search_path, which must stay, and asyncpg
    still rolls back a transaction left open; so the reset is skipped."""
