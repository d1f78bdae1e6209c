"""Does a Kafka broker answer? Used by `scripts/services/kafka.sh` to wait for a start, and by tests.

`python -m infra.kafka.probe [BOOTSTRAP [CLUSTER_ID]]` exits 0 when the broker serves cluster metadata
(of the cluster CLUSTER_ID, if given: so a start script is not fooled by another broker on the port),
1 otherwise.
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"


class BrokerUnavailableError(RuntimeError):
    def __init__(self, bootstrap: str, cause: BaseException) -> None:
        super().__init__(f"no Kafka broker answers at {bootstrap}: {cause!r}")
        self.bootstrap = bootstrap


async def check_broker(bootstrap: str, within: float = 10.0, cluster_id: str | None = None) -> int:
    """The number of brokers in the cluster; raises BrokerUnavailableError when none answers `within` s,
    or when the one answering belongs to a cluster other than `cluster_id`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(within * 1000))
    try:
        async with asyncio.timeout(within):
            await admin.start()
            # Metadata with a broker list means the broker finished starting, not just that the port is open.
            cluster = await admin.describe_cluster()
    except Exception as error:  # connection refused, timeouts, protocol errors: all mean "not ready"
        raise BrokerUnavailableError(bootstrap, error) from error
    finally:
        await admin.close()
    brokers = cluster.get("brokers", [])
    if not brokers:
        raise BrokerUnavailableError(bootstrap, RuntimeError("the cluster reports no brokers"))
    if cluster_id is not None and cluster.get("cluster_id") != cluster_id:
        raise BrokerUnavailableError(
            bootstrap, RuntimeError(f"it belongs to cluster {cluster.get('cluster_id')}, not {cluster_id}")
        )
    return len(brokers)


def main(argv: list[str]) -> int:
    bootstrap = argv[1] if len(argv) > 1 else DEFAULT_BOOTSTRAP
    cluster_id = argv[2] if len(argv) > 2 else None
    try:
        asyncio.run(check_broker(bootstrap, cluster_id=cluster_id))
    except BrokerUnavailableError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
