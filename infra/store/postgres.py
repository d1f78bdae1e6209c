"""The distributed event store: PostgreSQL through asyncpg.

Gap-safe global order: an append takes `LOCK TABLE events IN EXCLUSIVE MODE` before positions are drawn
from the sequence, so appends commit one at a time in position order and a reader following positions
never passes an event that commits later with a lower position (the approach of eventsourcing's
postgres recorder). Readers are not blocked by the lock. Subscribers are woken by LISTEN/NOTIFY, with
polling as the fallback when the listening connection is lost (a server restart).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg

from domain.errors import Conflict, StreamConflict, Unavailable
from infra.store.contract import AlreadyProcessed, follow
from infra.store.records import Append, DeadLetter, NewEvent, StoredEvent, Tracking
from infra.store.sql import (
    DEAD_LETTER_COLUMNS,
    EVENT_COLUMNS,
    dead_letter,
    insert_values,
    same_events,
    stored_event,
)

T = TypeVar("T")
CHANNEL = "berth_events"

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    stream_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    correlation_id UUID NOT NULL,
    causation_id UUID,
    payload BYTEA NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS tracking (
    consumer TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (consumer, position)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    consumer TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    consumer TEXT NOT NULL,
    position BIGINT NOT NULL,
    event_id UUID NOT NULL,
    stream_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    parked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, position)
);
-- A writer's commit in one round trip (see PostgresEventStore.commit): lock, check every stream's version,
-- insert, notify. Returns no row, and writes nothing, when a stream is not at its expected version.
CREATE OR REPLACE FUNCTION berth_append(
    event_ids uuid[], stream_ids text[], stream_types text[], versions int[], types text[], schemas text[],
    occurred timestamptz[], actors text[], correlation_ids uuid[], causation_ids uuid[], payloads bytea[],
    streams text[], expected int[]
) RETURNS TABLE ("position" bigint, stream_id text, version int) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    LOCK TABLE events IN EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM unnest(streams, expected) AS x(stream, at)
               WHERE x.at <> (SELECT COALESCE(MAX(e.version), 0) FROM events e WHERE e.stream_id = x.stream)) THEN
        RETURN;
    END IF;
    RETURN QUERY
        INSERT INTO events (event_id, stream_id, stream_type, version, type, schema, occurred_at, actor,
                            correlation_id, causation_id, payload)
        SELECT * FROM unnest(event_ids, stream_ids, stream_types, versions, types, schemas, occurred, actors,
                             correlation_ids, causation_ids, payloads)
        RETURNING events.position, events.stream_id, events.version;
    PERFORM pg_notify('berth_events', '');
END
$$;
"""

_SELECT_EVENTS = f"SELECT {EVENT_COLUMNS} FROM events"
_INSERT_EVENTS = """
INSERT INTO events (event_id, stream_id, stream_type, version, type, schema, occurred_at, actor,
                    correlation_id, causation_id, payload)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::text[], $9::uuid[], $10::uuid[], $11::bytea[])
RETURNING position, stream_id, version
"""
# Every append of a commit in one round trip (the events table locked, each stream named once): the rows
# go in only if every stream ($12) is at its expected version ($13); no row back means one is not, and
# the appends are then made one by one to tell which (or that they are a retry of a committed append).
_INSERT_IF_EXPECTED = f"""
WITH expected AS (
    SELECT * FROM unnest($12::text[], $13::int[]) AS x(stream_id, version)
), ready AS (
    SELECT bool_and(x.version = (SELECT COALESCE(MAX(e.version), 0) FROM events e
                                 WHERE e.stream_id = x.stream_id)) AS ok
    FROM expected x
), inserted AS (
    INSERT INTO events (event_id, stream_id, stream_type, version, type, schema, occurred_at, actor,
                        correlation_id, causation_id, payload)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
                         $7::timestamptz[], $8::text[], $9::uuid[], $10::uuid[], $11::bytea[])
    WHERE (SELECT ok FROM ready)
    RETURNING position, stream_id, version
), notified AS MATERIALIZED (
    SELECT pg_notify('{CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM inserted)
)
SELECT inserted.position, inserted.stream_id, inserted.version FROM inserted CROSS JOIN notified
"""
_APPEND = ("SELECT position, stream_id, version FROM berth_append($1::uuid[], $2::text[], $3::text[], $4::int[], "
           "$5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::uuid[], $10::uuid[], $11::bytea[], "
           "$12::text[], $13::int[])")
_SAVE_CHECKPOINT = """
WITH saved AS (
    INSERT INTO checkpoints (consumer, position) VALUES ($1, $2) ON CONFLICT (consumer)
    DO UPDATE SET position = GREATEST(checkpoints.position, excluded.position)
)
DELETE FROM tracking WHERE consumer = $1 AND position <= $2
"""
_TRACK = ("INSERT INTO tracking (consumer, position) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING RETURNING 1")
_TRACK_MANY = """
INSERT INTO tracking (consumer, position) SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT DO NOTHING RETURNING consumer, position
"""

# What a lost or restarting server looks like to asyncpg: worth retrying, never a reason to give up.
_TRANSIENT = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.TooManyConnectionsError,
    # The server ended the connection (a restart) and asyncpg read its FATAL message but not yet the
    # close: the next statement on it finds the protocol mid-error ("cannot switch to state ...").
    asyncpg.InternalClientError,
)


async def _transient(call: Awaitable[T]) -> T:
    try:
        return await call
    except _TRANSIENT as error:
        raise Unavailable(f"PostgreSQL is unavailable: {error!r}") from error


class PostgresEventStore:
    def __init__(self, dsn: str, *, schema: str = "public", poll_interval: float = 0.5,
                 pool_size: int = 10) -> None:
        self.dsn = dsn
        self.schema = schema
        self._poll_interval = poll_interval
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._waiters: set[asyncio.Event] = set()
        self._listener_lock = asyncio.Lock()

    async def open(self) -> PostgresEventStore:
        settings = {"search_path": self.schema}
        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self._pool_size,
                                               server_settings=settings, reset=_keep_session)
        async with self._pool.acquire() as connection, connection.transaction():
            # Several processes may start at once: serialize the DDL.
            await connection.execute("SELECT pg_advisory_xact_lock(4242)")
            await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await connection.execute(SCHEMA)
        return self

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(*_TRANSIENT):
                await self._listener.close()
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL event store is not open")
        return self._pool

    async def _with_connection(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        async def run() -> T:
            connection = await self.pool.acquire()
            try:
                result = await work(connection)
            except BaseException:
                with contextlib.suppress(Exception):  # never hide why the work failed
                    await self.pool.release(connection)
                raise
            # The work is done (a transaction committed): a connection the server dropped since then
            # must not turn that into a failure. The pool has terminated it and opens a new one.
            with contextlib.suppress(*_TRANSIENT):
                await self.pool.release(connection)
            return result

        return await _transient(run())

    # -- writing -------------------------------------------------------------------------------

    async def append(self, stream_id: str, events: Sequence[NewEvent], expected_version: int) -> list[StoredEvent]:
        return await self.commit([Append(stream_id, tuple(events), expected_version)])

    async def commit(
        self, appends: Sequence[Append], tracking: Tracking | None = None, settles: Tracking | None = None
    ) -> list[StoredEvent]:
        writes = any(append.events for append in appends)

        async def track_only(connection: asyncpg.Connection) -> list[StoredEvent]:
            # One statement is atomic on its own: no BEGIN/COMMIT round trips for a handler without effects.
            if tracking is not None and await connection.fetchval(_TRACK, tracking.consumer,
                                                                  tracking.position) is None:
                raise AlreadyProcessed(tracking)
            return []

        async def work(connection: asyncpg.Connection) -> list[StoredEvent]:
            async with connection.transaction():
                if tracking is not None:
                    inserted = await connection.fetchval(_TRACK, tracking.consumer, tracking.position)
                    if inserted is None:
                        raise AlreadyProcessed(tracking)
                if settles is not None:
                    await connection.execute("DELETE FROM dead_letters WHERE consumer = $1 AND position = $2",
                                             settles.consumer, settles.position)
                if not writes and not appends:
                    return []
                if writes:
                    await connection.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                return await self._append_all(connection, appends, notify=writes)

        if not appends and settles is None:
            return await self._with_connection(track_only)
        streams = [append.stream_id for append in appends]
        if writes and tracking is None and settles is None and len(set(streams)) == len(streams):
            # A writer's commit: one round trip when every stream is where the writer expected it.
            expected = [append.expected_version for append in appends]
            stored = await self._with_connection(lambda c: self._insert(c, appends, _APPEND, streams, expected))
            if stored:
                return stored
            # A stream moved on (a conflict, or a retry of a committed append): find out which, the long way.
        return await self._with_connection(work)

    async def commit_tracked(self, commits: Sequence[tuple[Sequence[Append], Tracking]]
                             ) -> list[list[StoredEvent] | None]:
        """Several commits, each a consumer's effects with its tracking record, in one transaction (one
        statement when none has effects). A commit whose tracking record exists is left out: None in
        its place. Any other failure (a stream conflict...) raises, and then none of them is written."""
        if not commits:
            return []
        consumers = [tracking.consumer for _, tracking in commits]
        positions = [tracking.position for _, tracking in commits]

        def fresh(inserted: list[Any]) -> list[bool]:
            new = {(row[0], row[1]) for row in inserted}
            seen: set[tuple[str, int]] = set()
            flags = []
            for key in zip(consumers, positions, strict=True):
                flags.append(key in new and key not in seen)  # the same record twice: only the first is new
                seen.add(key)
            return flags

        if not any(appends for appends, _ in commits):
            rows = await self._with_connection(lambda c: c.fetch(_TRACK_MANY, consumers, positions))
            return [[] if new else None for new in fresh(rows)]

        async def work(connection: asyncpg.Connection) -> list[list[StoredEvent] | None]:
            async with connection.transaction():
                flags = fresh(await connection.fetch(_TRACK_MANY, consumers, positions))
                appends = [append for (appends, _), new in zip(commits, flags, strict=True) if new
                           for append in appends]
                writes = any(append.events for append in appends)
                if writes:
                    await connection.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                stored = await self._append_all(connection, appends, notify=writes) if appends else []
            results: list[list[StoredEvent] | None] = []
            at = 0
            for (commit_appends, _), new in zip(commits, flags, strict=True):
                if not new:
                    results.append(None)
                    continue
                size = sum(len(append.events) for append in commit_appends)  # each append stores as many
                results.append(stored[at:at + size])
                at += size
            return results

        return await self._with_connection(work)

    async def _append_all(self, connection: asyncpg.Connection, appends: Sequence[Append], *,
                          notify: bool) -> list[StoredEvent]:
        """Every append of a commit (the events table locked): checked, inserted and notified in one
        statement; one at a time when a stream appears twice or is not at the expected version."""
        streams = [append.stream_id for append in appends]
        if notify and len(set(streams)) == len(streams):
            expected = [append.expected_version for append in appends]
            stored = await self._insert(connection, appends, _INSERT_IF_EXPECTED, streams, expected)
            if stored:
                return stored
        stored = []
        for append in appends:
            stored.extend(await self._append_one(connection, append))
        if notify:
            await connection.execute(f"NOTIFY {CHANNEL}")
        return stored

    async def _append_one(self, connection: asyncpg.Connection, append: Append) -> list[StoredEvent]:
        current = await connection.fetchval(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = $1", append.stream_id
        )
        events = list(append.events)
        if current != append.expected_version:
            if current >= append.expected_version + len(events):
                already = await self._stream(connection, append.stream_id, append.expected_version, len(events))
                if same_events(already, events):
                    return already  # a retry of a committed append: report what is stored, add nothing
            raise StreamConflict(append.stream_id, append.expected_version, current)
        return await self._insert(connection, [append], _INSERT_EVENTS)

    @staticmethod
    async def _insert(connection: asyncpg.Connection, appends: Sequence[Append], query: str,
                      *arguments: Any) -> list[StoredEvent]:
        """The events of `appends`, each stream at its expected version, in one statement (none when
        `query` inserts nothing)."""
        rows = [
            insert_values(event, append.stream_id, append.expected_version + offset)
            for append in appends
            for offset, event in enumerate(append.events, start=1)
        ]
        if not rows:
            return []
        columns = [list(column) for column in zip(*rows, strict=True)]
        try:
            assigned = await connection.fetch(query, *columns, *arguments)
        except asyncpg.UniqueViolationError as error:
            streams = ", ".join(repr(append.stream_id) for append in appends)
            raise Conflict(f"an event id sent to {streams} is already stored: {error}") from None
        if not assigned:
            return []
        position_of = {(record["stream_id"], record["version"]): record["position"] for record in assigned}
        return [stored_event((position_of[row[1], row[3]], *row)) for row in rows]

    # -- reading -------------------------------------------------------------------------------

    @staticmethod
    async def _stream(connection: asyncpg.Connection, stream_id: str, after_version: int,
                      limit: int | None = None) -> list[StoredEvent]:
        rows = await connection.fetch(
            f"{_SELECT_EVENTS} WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3",
            stream_id, after_version, limit,
        )
        return [stored_event(row) for row in rows]

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        return await self._with_connection(lambda c: self._stream(c, stream_id, after_version))

    async def stream_version(self, stream_id: str) -> int:
        return int(await self._with_connection(lambda c: c.fetchval(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = $1", stream_id)))

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        rows = await self._with_connection(lambda c: c.fetch(
            f"{_SELECT_EVENTS} WHERE position > $1 ORDER BY position LIMIT $2", after_position, limit))
        return [stored_event(row) for row in rows]

    async def _ensure_listener(self) -> None:
        async with self._listener_lock:  # one listening connection, however many tasks wait at once
            if self._listener is not None and not self._listener.is_closed():
                return
            self._listener = None
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.dsn, timeout=5)
                await connection.add_listener(CHANNEL, self._on_notify)
            except (*_TRANSIENT, TimeoutError):
                if connection is not None:
                    connection.terminate()
                return  # poll until the server is back
            self._listener = connection

    def _on_notify(self, *_: Any) -> None:
        for waiter in self._waiters:
            waiter.set()

    def subscribe(self, after_position: int = 0, batch: int = 1000) -> AsyncIterator[StoredEvent]:
        return follow(self, after_position, batch)

    async def wait_for_new(self, after_position: int, timeout: float) -> None:
        """Return once an event beyond `after_position` may exist: woken by NOTIFY, or after polling."""
        await self._ensure_listener()
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
        return int(await self._with_connection(lambda c: c.fetchval("SELECT COALESCE(MAX(position), 0) FROM events")))

    # -- consumers -----------------------------------------------------------------------------

    async def is_tracked(self, consumer: str, position: int) -> bool:
        row = await self._with_connection(lambda c: c.fetchval(
            "SELECT 1 FROM tracking WHERE consumer = $1 AND position = $2", consumer, position))
        return row is not None

    async def tracked(self, consumer: str, positions: Sequence[int]) -> set[int]:
        rows = await self._with_connection(lambda c: c.fetch(
            "SELECT position FROM tracking WHERE consumer = $1 AND position = ANY($2::bigint[])",
            consumer, list(positions)))
        return {row[0] for row in rows}

    async def checkpoint(self, consumer: str) -> int:
        value = await self._with_connection(lambda c: c.fetchval(
            "SELECT position FROM checkpoints WHERE consumer = $1", consumer))
        return 0 if value is None else int(value)

    async def save_checkpoint(self, consumer: str, position: int) -> None:
        # One statement (so atomic, in one round trip): the relay saves a checkpoint after every batch.
        await self._with_connection(lambda c: c.execute(_SAVE_CHECKPOINT, consumer, position))

    async def park(self, letter: DeadLetter) -> None:
        async def work(connection: asyncpg.Connection) -> None:
            async with connection.transaction():
                await connection.execute(
                    f"INSERT INTO dead_letters ({DEAD_LETTER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                    "ON CONFLICT (consumer, position) DO UPDATE SET error = excluded.error, "
                    "attempts = excluded.attempts, parked_at = excluded.parked_at",
                    letter.consumer, letter.position, letter.event_id, letter.stream_id, letter.event_type,
                    letter.error, letter.attempts, letter.parked_at,
                )
                await connection.execute(
                    "INSERT INTO tracking (consumer, position) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    letter.consumer, letter.position,
                )

        await self._with_connection(work)

    async def dead_letters(self, consumer: str | None = None) -> list[DeadLetter]:
        query = (f"SELECT {DEAD_LETTER_COLUMNS} FROM dead_letters "
                 "WHERE ($1::text IS NULL OR consumer = $1) ORDER BY parked_at")
        rows = await self._with_connection(lambda c: c.fetch(query, consumer))
        return [dead_letter(row) for row in rows]

    async def remove_dead_letter(self, consumer: str, position: int) -> None:
        await self._with_connection(lambda c: c.execute(
            "DELETE FROM dead_letters WHERE consumer = $1 AND position = $2", consumer, position))


async def _keep_session(_: asyncpg.Connection) -> None:
    """asyncpg resets every connection it takes back (unlisten, close cursors, reset settings): a round
    trip per use. These stores set nothing on a session but its search_path, which must stay, and asyncpg
    still rolls back a transaction left open; so the reset is skipped."""
