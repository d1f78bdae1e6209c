"""One topic per stream type, `berth.<stream_type>`, created on purpose with a chosen partition count.

The broker does not auto-create topics (scripts/services/kafka.sh): a topic made by a stray produce
would get whatever defaults the broker has, and a typo would silently become a topic. The relay and
the consumers ensure the topics they use instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from domain.errors import InvalidInput

PREFIX = "berth."
DEFAULT_PARTITIONS = 8
# Kafka's own limits on topic names.
_LEGAL = re.compile(r"[A-Za-z0-9._-]+")
_MAX_LENGTH = 249


def topic_for(stream_type: str, prefix: str = PREFIX) -> str:
    """`workspace` -> `berth.workspace`. Another prefix keeps installations (or test runs) sharing
    one cluster apart."""
    topic = prefix + stream_type
    if not stream_type or not _LEGAL.fullmatch(topic) or len(topic) > _MAX_LENGTH:
        raise InvalidInput(f"stream type {stream_type!r} cannot name a Kafka topic ({topic!r})",
                           field="stream_type")
    return topic


def stream_type_of_topic(topic: str, prefix: str = PREFIX) -> str:
    if not topic.startswith(prefix) or len(topic) == len(prefix):
        raise InvalidInput(f"topic {topic!r} is not a Berth stream topic ({prefix}<stream type>)",
                           field="topic")
    return topic[len(prefix):]


class Topics:
    """Creates stream topics on first need and remembers which exist, so steady-state publishing costs
    no admin round trip. Creating an existing topic is not an error: its partition count is kept."""

    def __init__(self, bootstrap: str, *, prefix: str = PREFIX, partitions: int = DEFAULT_PARTITIONS,
                 replication_factor: int = 1, timeout: float = 30.0) -> None:
        if partitions < 1:
            raise InvalidInput(f"a topic needs at least one partition, not {partitions}", field="partitions")
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.partitions = partitions
        self.replication_factor = replication_factor
        self._timeout_ms = int(timeout * 1000)
        self._admin: AIOKafkaAdminClient | None = None
        self._known: set[str] = set()

    def topic(self, stream_type: str) -> str:
        return topic_for(stream_type, self.prefix)

    async def ensure(self, stream_types: Iterable[str]) -> None:
        wanted = {self.topic(stream_type) for stream_type in stream_types} - self._known
        if not wanted:
            return
        admin = await self._started()
        response = await admin.create_topics(
            [NewTopic(topic, self.partitions, self.replication_factor) for topic in sorted(wanted)],
            timeout_ms=self._timeout_ms,
        )
        for topic, error_code, *message in response.topic_errors:
            error = for_code(error_code)
            if error_code != 0 and error is not TopicAlreadyExistsError:
                raise error(f"could not create topic {topic}: {message[0] if message else ''}")
        await self._await_leaders(admin, sorted(wanted))
        self._known |= wanted

    async def _await_leaders(self, admin: AIOKafkaAdminClient, topics: list[str]) -> None:
        """A new topic exists before its partitions have leaders. Wait until the metadata names one for
        each partition; the broker may still need a moment to take up leadership, which the
        producer's retries (a logged NotLeaderForPartition) cover."""
        async with asyncio.timeout(self._timeout_ms / 1000):
            while True:
                described = await admin.describe_topics(topics)
                if all(_has_leaders(topic) for topic in described) and len(described) == len(topics):
                    return
                await asyncio.sleep(0.05)

    async def _started(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=self._timeout_ms)
            try:
                await admin.start()
            except BaseException:
                await admin.close()
                raise
            self._admin = admin
        return self._admin

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


def _has_leaders(topic: dict[str, Any]) -> bool:
    partitions = topic.get("partitions") or []
    return topic.get("error_code") == 0 and bool(partitions) and all(
        partition.get("error_code") == 0 and partition.get("leader", -1) >= 0 for partition in partitions
    )


async def ensure_topics(bootstrap: str, stream_types: Iterable[str], *, prefix: str = PREFIX,
                        partitions: int = DEFAULT_PARTITIONS) -> list[str]:
    """One-shot: make sure the topics of `stream_types` exist; returns their names."""
    topics = Topics(bootstrap, prefix=prefix, partitions=partitions)
    try:
        types = list(stream_types)
        await topics.ensure(types)
        return [topics.topic(stream_type) for stream_type in types]
    finally:
        await topics.close()
