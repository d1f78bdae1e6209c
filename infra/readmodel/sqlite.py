"""Read models in the embedded SQLite file, next to the event log."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from infra.readmodel.contract import CheckpointMoved, Doc, DocKey
from infra.store.sqlite import connect

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS read_models (
    projection TEXT NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (projection, collection, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    projection TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
"""


class SqliteReadModelStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="berth-readmodel")
        self._connection: sqlite3.Connection | None = None

    async def open(self) -> SqliteReadModelStore:
        def setup() -> None:
            self._connection = connect(self.path)
            self._connection.executescript(SCHEMA)

        await self._run(setup)
        return self

    async def close(self) -> None:
        if self._connection is not None:
            await self._run(self._connection.close)
            self._connection = None
        self._executor.shutdown(wait=True)

    async def _run(self, function: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the SQLite read model store is not open")
        return self._connection

    def _checkpoint(self, projection: str) -> int:
        row = self._db.execute("SELECT position FROM projection_checkpoints WHERE projection = ?",
                               (projection,)).fetchone()
        return 0 if row is None else int(row[0])

    async def checkpoint(self, projection: str) -> int:
        return await self._run(lambda: self._checkpoint(projection))

    async def load(self, projection: str, keys: Iterable[DocKey]) -> dict[DocKey, Doc]:
        wanted = list(dict.fromkeys(keys))

        def load() -> dict[DocKey, Doc]:
            found: dict[DocKey, Doc] = {}
            for key in wanted:
                row = self._db.execute(
                    "SELECT doc FROM read_models WHERE projection = ? AND collection = ? AND key = ?",
                    (projection, key.collection, key.key),
                ).fetchone()
                if row is not None:
                    found[key] = json.loads(row[0])
            return found

        return await self._run(load)

    async def save(self, projection: str, changes: Mapping[DocKey, Doc | None], expected_checkpoint: int,
                   checkpoint: int) -> None:
        upserts = [(projection, k.collection, k.key, json.dumps(d)) for k, d in changes.items() if d is not None]
        deletes = [(projection, k.collection, k.key) for k, d in changes.items() if d is None]

        def save() -> None:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                current = self._checkpoint(projection)
                if current != expected_checkpoint:
                    raise CheckpointMoved(f"{projection} is at {current}, not {expected_checkpoint}")
                db.executemany("INSERT OR REPLACE INTO read_models (projection, collection, key, doc) "
                               "VALUES (?, ?, ?, ?)", upserts)
                db.executemany("DELETE FROM read_models WHERE projection = ? AND collection = ? AND key = ?",
                               deletes)
                db.execute("INSERT OR REPLACE INTO projection_checkpoints (projection, position) VALUES (?, ?)",
                           (projection, checkpoint))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(save)

    async def get(self, projection: str, collection: str, key: str) -> Doc | None:
        found = await self.load(projection, [DocKey(collection, key)])
        return found.get(DocKey(collection, key))

    async def list(self, projection: str, collection: str) -> list[Doc]:
        rows = await self._run(lambda: self._db.execute(
            "SELECT doc FROM read_models WHERE projection = ? AND collection = ? ORDER BY key",
            (projection, collection)).fetchall())
        return [json.loads(row[0]) for row in rows]

    async def dump(self, projection: str) -> dict[DocKey, Doc]:
        rows = await self._run(lambda: self._db.execute(
            "SELECT collection, key, doc FROM read_models WHERE projection = ?", (projection,)).fetchall())
        return {DocKey(row[0], row[1]): json.loads(row[2]) for row in rows}

    async def reset(self, projection: str) -> None:
        def reset() -> None:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM read_models WHERE projection = ?", (projection,))
                db.execute("DELETE FROM projection_checkpoints WHERE projection = ?", (projection,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(reset)
