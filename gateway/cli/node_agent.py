"""`berth node-agent`: distributed mode's node agent, one process per Docker node (BERTH_NODE names it).

It registers the node, then runs what embedded mode runs inside the gateway (gateway/node.py): the lifecycle
worker, here fed from Kafka in a consumer group of its own (`node-agent-<node>`, so every node sees every
event and acts on the instances scheduled on it), and the monitor (engine events, ports, tasks, activity).
On SIGTERM/SIGINT the worker lets in-flight work finish (a backup, a start) for the grace period, then the
monitor is cancelled: a restarted agent resumes from what the streams and the engine say.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.cli.context import JsonFlag, run_async, settings_or_fail
from gateway.cli.distributed import Grace, until_signalled
from gateway.cli.output import console, emit_json, fail
from gateway.node import NodeAgent, open_node_agent
from gateway.platform import restarting
from handlers.runtime.worker import Worker
from infra.kafka.source import KafkaEventSource
from infra.settings import Mode
from infra.stores import open_stores
from schemas.codec import EventCodec


def node_agent(grace: Grace = 30.0, as_json: JsonFlag = False) -> None:
    """Run this Docker node's agent: register the node, start and stop its workspaces (distributed mode)."""
    settings = settings_or_fail(as_json)
    if settings.mode is not Mode.DISTRIBUTED:
        fail("the node agent runs in distributed mode (embedded mode runs it inside `berth up`): "
             "set BERTH_MODE=distributed", as_json)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The monitor asks every running supervisor for its status each second: httpx would log each request.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def main() -> None:
        stores = await open_stores(settings)
        codec = EventCodec()
        try:
            node = await open_node_agent(settings, stores.events, stores.views, codec)
            try:
                source = KafkaEventSource(settings.kafka_bootstrap, node.name, node.stream_types,
                                          prefix=settings.kafka_prefix)
                worker = node.worker(source, stores.events, codec)
                if as_json:
                    emit_json({"node_agent": "started", "node": node.runtime.node})
                else:
                    console.print(f"Node agent of {node.runtime.node} registered; consuming from "
                                  f"{settings.kafka_bootstrap}")
                await until_signalled(lambda: _run(node, worker), lambda: worker.stop(grace))
            finally:
                await node.close()
        finally:
            await stores.close()

    run_async(as_json, main())


async def _run(node: NodeAgent, worker: Worker) -> None:
    """The worker, with the monitor beside it. The monitor restarts after a crash (as in the gateway's
    platform): losing it would leave dead containers reported running."""
    monitoring = asyncio.create_task(restarting(node.monitor.run, "node-monitor"))
    try:
        await worker.run()
    finally:
        monitoring.cancel()
        await asyncio.gather(monitoring, return_exceptions=True)
