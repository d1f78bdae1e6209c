"""Read models in the embedded SQLite file, next to the event log."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from infra.readmodel.contract import CheckpointMoved, Doc, DocKey
from infra.sqlite_thread import SqliteThread, immediate

T = TypeVar("T")

_LOAD_CHUNK = 500
"""Keys per SELECT when loading documents (SQLite allows 32,766 parameters; this keeps statements small)."""
_dumps = json.JSONEncoder(check_circular=False).encode
"""json.dumps without its per-call setup; documents are trees of plain values built by projections."""

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
        self._sqlite = SqliteThread(path, SCHEMA, "berth-readmodel")

    async def open(self) -> SqliteReadModelStore:
        await self._sqlite.open()
        return self

    async def close(self) -> None:
        await self._sqlite.close()

    async def _run(self, function: Callable[[], T]) -> T:
        return await self._sqlite.run(function)

    @property
    def _db(self) -> sqlite3.Connection:
        return self._sqlite.db

    def _checkpoint(self, projection: str) -> int:
        row = self._db.execute("SELECT position FROM projection_checkpoints WHERE projection = ?",
                               (projection,)).fetchone()
        return 0 if row is None else int(row[0])

    async def checkpoint(self, projection: str) -> int:
        return await self._run(lambda: self._checkpoint(projection))

    async def load(self, projection: str, keys: Iterable[DocKey]) -> dict[DocKey, Doc]:
        by_collection: dict[str, list[str]] = {}
        for key in dict.fromkeys(keys):
            by_collection.setdefault(key.collection, []).append(key.key)

        def load() -> dict[DocKey, Doc]:
            found: dict[DocKey, Doc] = {}
            for collection, names in by_collection.items():
                # One statement per chunk of keys rather than one per key (a page of events names hundreds).
                for start in range(0, len(names), _LOAD_CHUNK):
                    chunk = names[start:start + _LOAD_CHUNK]
                    rows = self._db.execute(
                        "SELECT key, doc FROM read_models WHERE projection = ? AND collection = ? "
                        f"AND key IN ({', '.join('?' * len(chunk))})",
                        (projection, collection, *chunk),
                    ).fetchall()
                    for key, doc in rows:
                        found[DocKey(collection, key)] = json.loads(doc)
            return found

        return await self._run(load)

    async def save(self, projection: str, changes: Mapping[DocKey, Doc | None], expected_checkpoint: int,
                   checkpoint: int) -> None:
        # In key order: the rows land in the primary key's B-tree one after the other instead of at random
        # places (a rebuild writes thousands of documents per transaction).
        upserts = sorted((projection, k.collection, k.key, _dumps(d)) for k, d in changes.items() if d is not None)
        deletes = [(projection, k.collection, k.key) for k, d in changes.items() if d is None]

        def save() -> None:
            db = self._db
            with immediate(db):
                current = self._checkpoint(projection)
                if current != expected_checkpoint:
                    raise CheckpointMoved(f"{projection} is at {current}, not {expected_checkpoint}")
                db.executemany("INSERT OR REPLACE INTO read_models (projection, collection, key, doc) "
                               "VALUES (?, ?, ?, ?)", upserts)
                db.executemany("DELETE FROM read_models WHERE projection = ? AND collection = ? AND key = ?",
                               deletes)
                db.execute("INSERT OR REPLACE INTO projection_checkpoints (projection, position) VALUES (?, ?)",
                           (projection, checkpoint))

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
            with immediate(db):
                db.execute("DELETE FROM read_models WHERE projection = ?", (projection,))
                db.execute("DELETE FROM projection_checkpoints WHERE projection = ?", (projection,))

        await self._run(reset)
