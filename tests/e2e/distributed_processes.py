"""Distributed mode's processes as an operator runs them: `berth relay`, `berth worker <name>` and `berth node-agent`,
each a real `berth` subprocess, stopped with SIGTERM; plus the PostgreSQL schema and Kafka topics they share, made
for one test module and removed afterwards."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from pathlib import Path
from typing import IO

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from tests.conftest import KAFKA_BOOTSTRAP, PG_DSN
from tests.e2e.berth_process import BERTH, environment


class BerthProcess:
    """One long-running `berth <args>`; its stdout and stderr go to a log file (a pipe nobody reads would fill up
    and block it), shown when it fails."""

    def __init__(self, home: Path, *args: str, **extra: str) -> None:
        self.name = "-".join(args)
        self.log_path = home / f"{self.name}-{uuid.uuid4().hex[:6]}.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self.process = subprocess.Popen([*BERTH, *args], env=environment(home, **extra), stdout=self._log,
                                        stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def check_alive(self) -> None:
        assert self.process.poll() is None, f"{self.name} exited with {self.process.returncode}:\n{self.log()}"

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; killed if still there after 60 s. Its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self._log.close()


def new_pg_schema() -> str:
    """A schema of this module's own in the test database: its event log and read models start empty."""
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute(f'CREATE SCHEMA "{name}"'))
    return name


def drop_pg_schema(name: str) -> None:
    asyncio.run(_execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


async def _execute(statement: str) -> None:
    connection = await asyncpg.connect(PG_DSN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def delete_topics(prefix: str) -> None:
    async def delete() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP)
        await admin.start()
        try:
            ours = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
            if ours:
                await admin.delete_topics(ours)
        finally:
            await admin.close()

    asyncio.run(delete())


def remove_node_leftovers(node: str) -> None:
    """Whatever the node's agent created and did not remove (a failed test): its containers, then volumes."""
    label = f"label=berth.node={node}"
    containers = subprocess.run(["docker", "ps", "-aq", "--filter", label], capture_output=True, text=True,
                                check=False).stdout.split()
    if containers:
        subprocess.run(["docker", "rm", "-f", *containers], capture_output=True, check=False)
    volumes = subprocess.run(["docker", "volume", "ls", "-q", "--filter", label], capture_output=True, text=True,
                             check=False).stdout.split()
    if volumes:
        subprocess.run(["docker", "volume", "rm", "-f", *volumes], capture_output=True, check=False)
