"""Watches the instances running on this node and records what changed about them.

- Engine events: a running instance whose container dies (or is OOM-killed) fails with that reason.
- Snapshots (at start, and after the engine comes back): a running instance without its container fails
  ("vanished"); a container whose instance is no longer active is removed (its volume stays).
- Sampling: every `interval` seconds each running instance's supervisor is asked for its status; a change
  of listening ports or task phases becomes an event, and activity becomes `workspace.activity_recorded`
  at most once a minute, so open IDEs do not flood the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from domain.envelope import Cause
from domain.errors import Conflict, TemporaryError
from domain.events import DomainEvent
from domain.workspace.decider import AdvanceInstance, WorkspaceDecider
from domain.workspace.events import ActivityRecorded, PortsChanged, TaskChanged
from domain.workspace.phases import Phase, is_active
from handlers.runtime.handler import HandlerContext
from infra.readmodel.contract import Doc, ReadModelStore
from node_agent.docker_runtime import DockerRuntime
from node_agent.instance import InstanceRef
from node_agent.reconcile import NodeSnapshot
from node_agent.runtime_events import ContainerDied, ContainerOomKilled, RuntimeEvent
from node_agent.supervisor_client import supervisor_status

log = logging.getLogger(__name__)
ACTIVITY_SAMPLE_SECONDS = 60.0
WATCHED_PHASES = (Phase.INITIALIZING, Phase.RUNNING)


@dataclass
class _Seen:
    ports: list[int] = field(default_factory=list)
    tasks: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    activity_recorded_at: float = 0.0


class NodeMonitor:
    def __init__(self, runtime: DockerRuntime, context: HandlerContext, views: ReadModelStore,
                 interval: float = 1.0) -> None:
        self._runtime = runtime
        self._context = context
        self._views = views
        self._interval = interval
        self._seen: dict[str, _Seen] = {}
        self._oom: set[str] = set()

    @property
    def actor(self) -> str:
        return f"node-agent-{self._runtime.node}"

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._runtime.observe(self.on_runtime_event, self.on_snapshot))
            group.create_task(self._sample_forever())

    # -- the engine's view -------------------------------------------------------------------------

    async def on_runtime_event(self, event: RuntimeEvent) -> None:
        if isinstance(event, ContainerOomKilled):
            self._oom.add(event.instance_id)
        elif isinstance(event, ContainerDied):
            reason = ("OOM-killed: the workspace used more memory than its class allows"
                      if event.instance_id in self._oom else f"the container exited with code {event.exit_code}")
            await self._fail_if(event.workspace_id, event.instance_id, WATCHED_PHASES, reason)

    async def on_snapshot(self, snapshot: NodeSnapshot) -> None:
        docs = {doc["id"]: doc for doc in await self._views.list("workspaces", "workspaces")}
        for observed in snapshot.instances:
            if not _wanted(docs.get(observed.workspace_id), observed.instance_id):
                # Its stop or deletion was handled while this agent was away: the volume stays.
                await self._runtime.remove(InstanceRef(observed.workspace_id, observed.instance_id))
        for doc in docs.values():
            if doc.get("node") != self._runtime.node or doc.get("phase") != Phase.RUNNING.value:
                continue
            found = snapshot.instance(str(doc["id"]), str(doc["instance_id"]))
            if found is None:
                reason = "the container vanished"
            elif not found.running:
                reason = "OOM-killed" if found.oom_killed else f"the container exited with code {found.exit_code}"
            else:
                continue
            await self._fail_if(str(doc["id"]), str(doc["instance_id"]), (Phase.RUNNING,), reason)

    async def _fail_if(self, workspace_id: str, instance_id: str, phases: tuple[Phase, ...], reason: str) -> None:
        stream = f"workspace-{workspace_id}"
        decider = WorkspaceDecider()
        workspace = await self._context.load(stream, decider)
        state = workspace.state
        if not state.exists or state.instance_id != instance_id or state.phase not in phases:
            return  # an expected exit (stopping, or the workspace deleted), or an instance that is not current
        events = decider.decide(state, AdvanceInstance(instance_id, Phase.FAILED, reason))
        with contextlib.suppress(Conflict):
            await self._context.store.commit([self._context.append(stream, events, workspace.version,
                                                                    Cause(self.actor))])

    # -- the supervisors' view ---------------------------------------------------------------------

    async def _sample_forever(self) -> None:
        while True:
            try:
                await self.sample()
            except TemporaryError as error:
                log.warning("sampling workspaces skipped: %s", error)
            await asyncio.sleep(self._interval)

    async def sample(self) -> None:
        for doc in await self._views.list("workspaces", "workspaces"):
            if doc.get("node") != self._runtime.node or doc.get("phase") != Phase.RUNNING.value:
                continue
            port = doc.get("supervisor_port")
            if not isinstance(port, int):
                continue
            try:
                status = await supervisor_status(port)
            except TemporaryError:
                continue  # not answering right now; the engine's events tell if it died
            await self._record(doc, status)

    async def _record(self, doc: Doc, status: dict[str, object]) -> None:
        instance_id = str(doc["instance_id"])
        seen = self._seen.setdefault(instance_id, _Seen(ports=list(doc.get("listening", []))))
        events: list[DomainEvent] = []
        ports = sorted(int(p) for p in status.get("ports", []))  # type: ignore[attr-defined]
        if ports != seen.ports:
            events.append(PortsChanged(instance_id=instance_id, ports=ports))
            seen.ports = ports
        for task in status.get("tasks", []):  # type: ignore[attr-defined]
            key = (str(task["phase"]), task.get("exit_code"))
            if seen.tasks.get(task["index"]) != key:
                seen.tasks[task["index"]] = key
                events.append(TaskChanged(instance_id=instance_id, index=task["index"], name=task.get("name"),
                                          phase=key[0], exit_code=key[1]))
        activity = status.get("activity_at")
        if isinstance(activity, int | float) and activity > _recorded_activity(doc, seen) + ACTIVITY_SAMPLE_SECONDS:
            seen.activity_recorded_at = float(activity)
            events.append(ActivityRecorded(instance_id=instance_id, source="supervisor"))
        if events:
            stream = f"workspace-{doc['id']}"
            version = await self._context.store.stream_version(stream)
            with contextlib.suppress(Conflict):  # sampled again in a second
                await self._context.store.commit([self._context.append(stream, events, version,
                                                                        Cause(self.actor))])


def _wanted(doc: Doc | None, instance_id: str) -> bool:
    """Whether a container of `instance_id` still has a purpose: its workspace exists, it is the current
    instance, and that instance is not over."""
    if doc is None or doc.get("instance_id") != instance_id:
        return False
    phase = doc.get("phase")
    return phase is not None and is_active(Phase(phase))


def _recorded_activity(doc: Doc, seen: _Seen) -> float:
    """When activity was last recorded: by this agent, or (after a restart) as the read model says."""
    recorded = doc.get("last_activity_at")
    from_doc = datetime.fromisoformat(recorded).timestamp() if recorded else 0.0
    return max(seen.activity_recorded_at, from_doc)
