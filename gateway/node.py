"""The node agent's parts, composed once for both modes: embedded mode runs them inside the gateway's process
(gateway/platform.py, its worker fed from the store's log), distributed mode in `berth node-agent`, one process
per Docker node (gateway/cli/node_agent.py, its worker fed from Kafka). Only the event source differs."""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from pathlib import Path

from domain.errors import PermanentError
from domain.events import stream_type_of_event
from handlers.runtime.handler import HandlerContext
from handlers.runtime.source import EventSource
from handlers.runtime.worker import Worker
from infra.blobs.local import LocalBlobStore
from infra.readmodel.contract import ReadModelStore
from infra.secrets import secret_box
from infra.settings import Settings
from infra.store.contract import EventStore
from node_agent.docker_runtime import DockerRuntime
from node_agent.ide import ide_directory
from node_agent.ide_extension import PackagingError, ide_extension_vsix
from node_agent.lifecycle import NodeAgentHandler
from node_agent.monitor import NodeMonitor
from node_agent.registration import engine_facts, register_node, registration
from schemas.codec import EventCodec

BUILD_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build-supervisor.sh"


def supervisor_binary(settings: Settings) -> Path:
    """The one-file supervisor: BERTH_SUPERVISOR_BINARY, else built (once, cached) from this checkout."""
    if settings.supervisor_binary is not None:
        return settings.supervisor_binary
    done = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PermanentError(f"building the workspace supervisor failed: {done.stderr.strip()[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def _ide_extension() -> Path:
    """Berth's VS Code extension (the task terminals), packaged once per source and cached."""
    try:
        return ide_extension_vsix()
    except (OSError, PackagingError) as error:
        raise PermanentError(f"packaging Berth's VS Code extension failed: {error}") from error


@dataclass
class NodeAgent:
    runtime: DockerRuntime
    handler: NodeAgentHandler
    monitor: NodeMonitor

    @property
    def name(self) -> str:
        """`node-agent-<node>`: its consumer (group) name, so every node reads every event for itself."""
        return self.handler.name

    @property
    def stream_types(self) -> set[str]:
        """What its handler reads: in distributed mode, the Kafka topics it subscribes to."""
        return {stream_type_of_event(t) for t in self.handler.event_types}

    def worker(self, source: EventSource, events: EventStore, codec: EventCodec) -> Worker:
        return Worker(self.handler, source, events, codec)

    async def close(self) -> None:
        await self.runtime.close()


async def open_node_agent(settings: Settings, events: EventStore, views: ReadModelStore,
                          codec: EventCodec) -> NodeAgent:
    binary = await asyncio.to_thread(supervisor_binary, settings)
    ide_dir = await asyncio.to_thread(ide_directory)
    ide_extension = None if ide_dir is None else await asyncio.to_thread(_ide_extension)
    secrets = await asyncio.to_thread(secret_box, settings)  # the gateway's key: it sealed the values
    # Backups go to a directory of this node: a workspace restores only on the node that backed it up, which
    # is every workspace while there is one node. Several nodes need a blob store they share.
    runtime = await DockerRuntime.connect(LocalBlobStore(settings.home / "blobs"), node=settings.node)
    # Registered before any worker runs, so the scheduler finds the node with the first instance.
    try:
        facts = await engine_facts(runtime.engine)
        await register_node(HandlerContext(events, codec),
                            registration(settings.node, facts, settings.node_capacity, runtime.classes))
    except BaseException:
        await runtime.close()
        raise
    handler = NodeAgentHandler(runtime, binary, settings.home / "instances", ide_dir=ide_dir,
                               ide_port=settings.ide_port, secrets=secrets, ide_extension=ide_extension)
    return NodeAgent(runtime, handler, NodeMonitor(runtime, HandlerContext(events, codec), views))
