"""The embedded event store: one SQLite file in WAL mode.

All statements run on one dedicated thread with one connection, so the event loop never blocks and
writes are serialized. Every write transaction starts with BEGIN IMMEDIATE, which takes SQLite's single
write lock before positions are assigned: positions therefore grow in commit order, and a reader that
follows them can never skip an event committed late. Subscribers in this process are woken on commit;
other processes' writes are seen by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from domain.envelope import Envelope, stream_type_of
from domain.errors import Conflict, StreamConflict
from infra.sqlite_thread import SqliteThread, immediate
from infra.store.contract import AlreadyProcessed, follow
from infra.store.records import Append, DeadLetter, NewEvent, StoredEvent, Tracking
from infra.store.sql import DEAD_LETTER_COLUMNS, EVENT_COLUMNS, dead_letter, same_events, stored_event

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    stream_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    causation_id TEXT,
    payload BLOB NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS tracking (
    consumer TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (consumer, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    consumer TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    consumer TEXT NOT NULL,
    position INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    parked_at TEXT NOT NULL,
    PRIMARY KEY (consumer, position)
);
"""

_SELECT_EVENTS = f"SELECT {EVENT_COLUMNS} FROM events"


class SqliteEventStore:
    def __init__(self, path: Path, poll_interval: float = 0.25) -> None:
        self.path = path
        self._poll_interval = poll_interval
        self._sqlite = SqliteThread(path, SCHEMA, "berth-sqlite")
        self._waiters: set[asyncio.Event] = set()

    async def open(self) -> SqliteEventStore:
        await self._sqlite.open()
        return self

    async def close(self) -> None:
        await self._sqlite.close()

    async def _run(self, function: Callable[[], T]) -> T:
        return await self._sqlite.run(function)

    @property
    def _db(self) -> sqlite3.Connection:
        return self._sqlite.db

    def _notify(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    # -- writing -------------------------------------------------------------------------------

    async def append(self, stream_id: str, events: Sequence[NewEvent], expected_version: int) -> list[StoredEvent]:
        return await self.commit([Append(stream_id, tuple(events), expected_version)])

    async def commit(
        self, appends: Sequence[Append], tracking: Tracking | None = None, settles: Tracking | None = None
    ) -> list[StoredEvent]:
        stored = await self._run(lambda: self._commit(appends, tracking, settles))
        if stored:
            self._notify()
        return stored

    def _commit(
        self, appends: Sequence[Append], tracking: Tracking | None, settles: Tracking | None
    ) -> list[StoredEvent]:
        db = self._db
        with immediate(db):
            if tracking is not None:
                try:
                    db.execute("INSERT INTO tracking (consumer, position) VALUES (?, ?)",
                               (tracking.consumer, tracking.position))
                except sqlite3.IntegrityError:
                    raise AlreadyProcessed(tracking) from None
            if settles is not None:
                db.execute("DELETE FROM dead_letters WHERE consumer = ? AND position = ?",
                           (settles.consumer, settles.position))
            stored: list[StoredEvent] = []
            for append in appends:
                stored.extend(self._append_one(append))
        return stored

    async def commit_tracked(self, commits: Sequence[tuple[Sequence[Append], Tracking]]
                             ) -> list[list[StoredEvent] | None]:
        results = await self._run(lambda: self._commit_tracked(commits))
        if any(results):
            self._notify()
        return results

    def _commit_tracked(self, commits: Sequence[tuple[Sequence[Append], Tracking]]
                        ) -> list[list[StoredEvent] | None]:
        db = self._db
        results: list[list[StoredEvent] | None] = []
        with immediate(db):
            for appends, tracking in commits:
                try:
                    db.execute("INSERT INTO tracking (consumer, position) VALUES (?, ?)",
                               (tracking.consumer, tracking.position))
                except sqlite3.IntegrityError:
                    results.append(None)  # handled before: nothing of this commit is written
                    continue
                stored: list[StoredEvent] = []
                for append in appends:
                    stored.extend(self._append_one(append))
                results.append(stored)
        return results

    def _append_one(self, append: Append) -> list[StoredEvent]:
        db = self._db
        (current,) = db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?", (append.stream_id,)
        ).fetchone()
        events = list(append.events)
        if current != append.expected_version:
            if current >= append.expected_version + len(events):
                already = self._stream(append.stream_id, append.expected_version, len(events))
                if same_events(already, events):
                    return already  # a retry of a committed append: report what is stored, add nothing
            raise StreamConflict(append.stream_id, append.expected_version, current)
        stream_type = stream_type_of(append.stream_id)
        try:
            first = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM events").fetchone()[0]
            stored = [
                StoredEvent(Envelope(
                    event_id=event.event_id, stream_id=append.stream_id, stream_type=stream_type,
                    version=append.expected_version + offset, position=first + offset - 1, type=event.type,
                    schema=event.schema, occurred_at=event.occurred_at, actor=event.actor,
                    correlation_id=event.correlation_id, causation_id=event.causation_id,
                ), event.payload)
                for offset, event in enumerate(events, start=1)
            ]
            db.executemany(
                "INSERT INTO events (position, event_id, stream_id, stream_type, version, type, schema, "
                "occurred_at, actor, correlation_id, causation_id, payload) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_row(e) for e in stored],
            )
        except sqlite3.IntegrityError as error:
            raise Conflict(f"an event id sent to {append.stream_id!r} is already stored: {error}") from None
        return stored

    # -- reading -------------------------------------------------------------------------------

    def _stream(self, stream_id: str, after_version: int, limit: int = -1) -> list[StoredEvent]:
        rows = self._db.execute(
            f"{_SELECT_EVENTS} WHERE stream_id = ? AND version > ? ORDER BY version LIMIT ?",
            (stream_id, after_version, limit),
        ).fetchall()
        return [stored_event(row, datetime.fromisoformat) for row in rows]

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        return await self._run(lambda: self._stream(stream_id, after_version))

    async def stream_version(self, stream_id: str) -> int:
        row = await self._run(lambda: self._db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?", (stream_id,)
        ).fetchone())
        return int(row[0])

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        rows = await self._run(lambda: self._db.execute(
            f"{_SELECT_EVENTS} WHERE position > ? ORDER BY position LIMIT ?", (after_position, limit)
        ).fetchall())
        return [stored_event(row, datetime.fromisoformat) for row in rows]

    def subscribe(self, after_position: int = 0, batch: int = 1000) -> AsyncIterator[StoredEvent]:
        return follow(self, after_position, batch)

    async def wait_for_new(self, after_position: int, timeout: float) -> None:
        """Return once an event beyond `after_position` may exist: woken by a commit in this process,
        or after `timeout` (another process may have written)."""
        woken = asyncio.Event()
        self._waiters.add(woken)
        try:
            if await self.head_position() > after_position:
                return
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that arrives
            # just as the waiter is set, leaving a worker that never stops.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(timeout, self._poll_interval)):
                    await woken.wait()
        finally:
            self._waiters.discard(woken)

    async def head_position(self) -> int:
        row = await self._run(lambda: self._db.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone())
        return int(row[0])

    # -- consumers -----------------------------------------------------------------------------

    async def is_tracked(self, consumer: str, position: int) -> bool:
        row = await self._run(lambda: self._db.execute(
            "SELECT 1 FROM tracking WHERE consumer = ? AND position = ?", (consumer, position)
        ).fetchone())
        return row is not None

    async def tracked(self, consumer: str, positions: Sequence[int]) -> set[int]:
        def find() -> set[int]:
            query = "SELECT 1 FROM tracking WHERE consumer = ? AND position = ?"
            return {p for p in positions if self._db.execute(query, (consumer, p)).fetchone() is not None}

        return await self._run(find)

    async def checkpoint(self, consumer: str) -> int:
        row = await self._run(lambda: self._db.execute(
            "SELECT position FROM checkpoints WHERE consumer = ?", (consumer,)
        ).fetchone())
        return 0 if row is None else int(row[0])

    async def save_checkpoint(self, consumer: str, position: int) -> None:
        def save() -> None:
            db = self._db
            with immediate(db):
                db.execute(
                    "INSERT INTO checkpoints (consumer, position) VALUES (?, ?) ON CONFLICT (consumer) "
                    "DO UPDATE SET position = MAX(position, excluded.position)",
                    (consumer, position),
                )
                # Tracking rows at or below the checkpoint can no longer be needed to detect a redelivery.
                db.execute("DELETE FROM tracking WHERE consumer = ? AND position <= ?", (consumer, position))

        await self._run(save)

    async def park(self, letter: DeadLetter) -> None:
        def park() -> None:
            db = self._db
            with immediate(db):
                db.execute(
                    f"INSERT OR REPLACE INTO dead_letters ({DEAD_LETTER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (letter.consumer, letter.position, str(letter.event_id), letter.stream_id,
                     letter.event_type, letter.error, letter.attempts, letter.parked_at.isoformat()),
                )
                db.execute("INSERT OR IGNORE INTO tracking (consumer, position) VALUES (?, ?)",
                           (letter.consumer, letter.position))

        await self._run(park)

    async def dead_letters(self, consumer: str | None = None) -> list[DeadLetter]:
        query = f"SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters"
        params: tuple[Any, ...] = ()
        if consumer is not None:
            query += " WHERE consumer = ?"
            params = (consumer,)
        rows = await self._run(lambda: self._db.execute(query + " ORDER BY parked_at", params).fetchall())
        return [dead_letter(row, datetime.fromisoformat) for row in rows]

    async def remove_dead_letter(self, consumer: str, position: int) -> None:
        await self._run(lambda: self._db.execute(
            "DELETE FROM dead_letters WHERE consumer = ? AND position = ?", (consumer, position)
        ))


def _row(event: StoredEvent) -> tuple[Any, ...]:
    """An event as SQLite stores it: UUIDs and times as text (the column order of EVENT_COLUMNS)."""
    e = event.envelope
    return (e.position, str(e.event_id), e.stream_id, e.stream_type, e.version, e.type, e.schema,
            e.occurred_at.isoformat(), e.actor, str(e.correlation_id),
            None if e.causation_id is None else str(e.causation_id), event.payload)
