"""The services the distributed benchmark uses: is each reachable, and removing what the run made in them."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupIdNotFound, for_code
from aiokafka.protocol.admin import DeleteGroupsRequest

from infra.kafka.probe import BrokerUnavailableError, check_broker


async def unreachable(dsn: str, bootstrap: str, within: float = 3.0) -> str | None:
    """Why the distributed run cannot happen, or None when PostgreSQL and Kafka both answer in time."""
    try:
        async with asyncio.timeout(within):
            connection = await asyncpg.connect(dsn, timeout=within)
            await connection.close()
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        return f"PostgreSQL at {dsn} is not reachable ({error!r}); start it: scripts/services/postgres.sh start"
    try:
        await check_broker(bootstrap, within=within)
    except BrokerUnavailableError as error:
        return f"{error}; start it: scripts/services/kafka.sh start"
    return None


async def cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _patiently(what: str, attempt: Callable[[], Awaitable[None]], within: float = 60.0) -> None:
    """Cleanup that outlasts a restarting service (other work on this machine restarts them) and a
    first Ctrl-C (a second one still ends the process at once); gives up after `within` seconds with
    a message naming what is left behind, rather than hanging."""
    deadline = time.monotonic() + within
    interrupted = False
    while True:
        try:
            await attempt()
            break
        except asyncio.CancelledError:
            interrupted = True  # finish removing it first; the interruption goes on afterwards
        except Exception as error:
            if time.monotonic() > deadline:
                print(f"cleanup: could not remove {what}: {error!r}", file=sys.stderr)
                break
            try:
                await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                interrupted = True
    if interrupted:
        raise asyncio.CancelledError


async def drop_schema(dsn: str, schema: str) -> None:
    async def attempt() -> None:
        connection = await asyncpg.connect(dsn, timeout=10)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()

    await _patiently(f"PostgreSQL schema {schema}", attempt)


async def delete_topics(bootstrap: str, prefix: str, group: str) -> None:
    async def attempt() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        try:
            await admin.start()
            ours = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
            if ours:
                await admin.delete_topics(ours)
            await _delete_group(admin, group)
        finally:
            await admin.close()

    await _patiently(f"Kafka topics {prefix}* and group {group}", attempt)


async def _delete_group(admin: AIOKafkaAdminClient, group: str) -> None:
    """aiokafka's admin client has no delete_consumer_groups: send Kafka's DeleteGroups request to the
    group's coordinator, as its other group calls do. A group that never formed is not an error."""
    coordinator = await admin.find_coordinator(group)
    response = await admin._send_request(DeleteGroupsRequest([group]), coordinator)
    for name, code in response.results:
        if code not in (0, GroupIdNotFound.errno):
            raise for_code(code)(f"could not delete consumer group {name}")
