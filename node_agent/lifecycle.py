"""The node agent's worker: runs the instances scheduled on its node, stops them with a backup first, and
removes what a deleted workspace owned.

Starting walks the phases creating -> initializing -> running, recording each step as it happens (the
container, where /workspace came from, the supervisor's port), so the user watches progress live and a
restarted agent resumes from what the stream says. In `initializing` the container starts while /workspace
is filled: the supervisor comes up meanwhile and runs nothing until the content marker names its instance
(node_agent/content/marker.py), so the start costs the longer of the two, not their sum. When the user
stops an instance mid-start, the next transition is refused by the state machine; the start gives up
quietly and the stop, next in this stream's queue, cleans up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import TypeVar

from domain.envelope import Cause
from domain.errors import Conflict, InvalidInput, PermanentError, StreamConflict
from domain.events import DomainEvent, Recorded
from domain.workspace.decider import AdvanceInstance, WorkspaceDecider
from domain.workspace.events import (
    BackupCompleted,
    BackupFailed,
    ContainerCreated,
    ContentInitialized,
    InstancePhaseChanged,
    WorkspaceDeleted,
)
from domain.workspace.phases import Phase
from handlers.runtime.handler import HandlerContext
from infra.secrets import SecretBox
from infra.store.records import Append
from node_agent.content.marker import MARKER_PATH
from node_agent.docker_runtime import DockerRuntime
from node_agent.errors import ContainerExists, WorkspaceBackupFailed
from node_agent.facts import InstanceFacts, facts_of
from node_agent.instance import GitSource, InstanceRef, InstanceSpec, StartedInstance, supervisor_lib_of
from node_agent.supervisor_client import shut_down_tasks, wait_for_ide, wait_for_supervisor
from node_agent.supervisor_config import repository_name, supervisor_config, write_config
from node_agent.user_env import UserEnvironment, user_environment

log = logging.getLogger(__name__)
A = TypeVar("A")
B = TypeVar("B")


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


class NodeAgentHandler:
    event_types = frozenset({InstancePhaseChanged.TYPE, WorkspaceDeleted.TYPE})

    def __init__(self, runtime: DockerRuntime, supervisor_binary: Path, state_dir: Path,
                 ready_timeout: float = 60.0, *, ide_dir: Path | None = None, ide_port: int = 23000,
                 secrets: SecretBox | None = None, ide_extension: Path | None = None) -> None:
        """`ide_dir`: the node's code-server install (node_agent.ide.ide_directory), mounted into every
        workspace and served on `ide_port`; None = workspaces without a browser IDE. `ide_extension`: Berth's
        .vsix (node_agent.ide_extension), mounted and installed wherever there is an IDE."""
        self._runtime = runtime
        self._binary = supervisor_binary
        self._state_dir = state_dir
        self._ready_timeout = ready_timeout
        self._ide_dir = ide_dir
        self._ide_port = ide_port
        self._ide_extension = ide_extension
        self._secrets = secrets  # opens the owner's environment variables (node_agent/user_env.py)
        self._supervisor_lib = supervisor_lib_of(supervisor_binary)

    @property
    def name(self) -> str:
        return f"node-agent-{self._runtime.node}"

    @property
    def node(self) -> str:
        return self._runtime.node

    async def handle(self, event: Recorded, context: HandlerContext) -> Sequence[Append]:
        stream = event.envelope.stream_id
        workspace_id = stream.removeprefix("workspace-")
        if isinstance(event.payload, WorkspaceDeleted):
            deleted = await self._runtime.delete_workspace(workspace_id)
            log.info("deleted %s: %s", workspace_id, deleted)
            return []
        changed = event.payload
        assert isinstance(changed, InstancePhaseChanged)
        state = (await context.load(stream, WorkspaceDecider())).state
        if state.instance_id != changed.instance_id:
            return []  # an earlier instance: a newer one owns the workspace now
        cause = Cause(self.name).following(event.envelope, self.name)
        ref = InstanceRef(workspace_id, changed.instance_id)
        if changed.phase == Phase.SCHEDULED and state.phase in (Phase.SCHEDULED, Phase.CREATING, Phase.INITIALIZING):
            if changed.reason == f"node {self.node}":
                await self._start(context, stream, ref, state.workspace_class, state.ide, state.owner, cause)
        elif changed.phase == Phase.STOPPING and state.phase is Phase.STOPPING:
            await self._stop(context, stream, ref, cause)
        elif changed.phase == Phase.FAILED:
            await self._runtime.remove(ref)  # the volume stays: nothing was backed up
        return []

    # -- start -------------------------------------------------------------------------------------

    async def _start(self, context: HandlerContext, stream: str, ref: InstanceRef, workspace_class: str,
                     ide: str, owner: str | None, cause: Cause) -> None:
        facts = await facts_of(context, stream, ref.instance_id)
        if facts.image is None or facts.config is None or facts.context is None:
            await self._advance(context, stream, ref, Phase.FAILED, "scheduled before its image and config were "
                                "ready", cause)
            return
        try:
            environment = await self._user_environment(context, owner, facts.context.clone_url)
        except PermanentError as error:
            await self._advance(context, stream, ref, Phase.FAILED, str(error), cause)
            return
        creating = f"creating the container on {self.node}"
        if environment.values:  # names only, never values
            creating += f"; {environment.summary}"
            log.info("%s/%s: %s", ref.workspace_id, ref.instance_id, environment.summary)
        await self._advance(context, stream, ref, Phase.CREATING, creating, cause)
        config_file = self._state_dir / ref.workspace_id / ref.instance_id / "supervisor.json"
        ide_dir = self._ide_dir_for(ide)
        try:
            write_config(config_file, self._supervisor_config(ref, facts, ide_dir))
            spec = InstanceSpec(ref, facts.image, self._binary, config_file, workspace_class=workspace_class,
                                ide_dir=ide_dir, ide_extension=self._ide_extension_for(ide_dir),
                                env=environment.values, supervisor_lib=self._supervisor_lib)
            try:
                created = await self._runtime.create(spec)
            except ContainerExists:
                await self._runtime.remove(ref)  # left by an interrupted earlier attempt (the volume stays)
                created = await self._runtime.create(spec)
            if not await self._advance(context, stream, ref, Phase.INITIALIZING, "filling /workspace", cause):
                return
            git = GitSource(facts.context.clone_url, self._checkout(facts), commit=facts.context.commit)
            started, content = await _start_while_filling(self._started(context, stream, ref, cause),
                                           self._runtime.init_content(created, backup=facts.last_backup, git=git))
            await self._emit(context, stream, [ContentInitialized(
                instance_id=ref.instance_id, source=content.source.value, bytes=content.bytes,
                seconds=content.seconds)], cause)
            await wait_for_supervisor(started.supervisor_port, self._ready_timeout)
            # Running means the IDE answers; a workspace whose IDE cannot start still runs (SSH, ports), saying why.
            ide_problem = await wait_for_ide(started.supervisor_port, self._ready_timeout)
        except (PermanentError, InvalidInput) as error:
            await self._advance(context, stream, ref, Phase.FAILED, str(error), cause)
            await self._runtime.remove(ref)
            return
        await self._advance(context, stream, ref, Phase.RUNNING, ide_problem, cause)

    async def _started(self, context: HandlerContext, stream: str, ref: InstanceRef, cause: Cause) -> StartedInstance:
        """Start the container and say so at once: its supervisor port is what the proxy routes through."""
        started = await self._runtime.start(ref)
        await self._emit(context, stream, [ContainerCreated(
            instance_id=ref.instance_id, node=self.node, container_id=started.container_id,
            supervisor_port=started.supervisor_port)], cause)
        return started

    async def _user_environment(self, context: HandlerContext, owner: str | None,
                                clone_url: str) -> UserEnvironment:
        """The owner's variables for this repository, read now: a change applies from the next start."""
        if owner is None:
            return UserEnvironment()
        return await user_environment(context, owner, clone_url, self._secrets)

    def _checkout(self, facts: InstanceFacts) -> str:
        assert facts.config is not None and facts.context is not None
        return facts.config.checkout_location or repository_name(facts.context.clone_url)

    def _ide_dir_for(self, ide: str) -> Path | None:
        """The IDE install to mount: none for a workspace whose owner chose no IDE (SSH only)."""
        return None if ide == "none" else self._ide_dir

    def _ide_extension_for(self, ide_dir: Path | None) -> Path | None:
        return None if ide_dir is None else self._ide_extension

    def _supervisor_config(self, ref: InstanceRef, facts: InstanceFacts, ide_dir: Path | None) -> dict[str, object]:
        """The start mode ("fresh" here) is the content marker's: only the content init knows it."""
        assert facts.config is not None and facts.context is not None
        return supervisor_config(ref.workspace_id, ref.instance_id, facts.config, facts.context.clone_url, "fresh",
                                 ide_port=self._ide_port if ide_dir is not None else None,
                                 ide_extension=self._ide_extension_for(ide_dir) is not None,
                                 content_ready=MARKER_PATH)

    # -- stop --------------------------------------------------------------------------------------

    async def _stop(self, context: HandlerContext, stream: str, ref: InstanceRef, cause: Cause) -> None:
        facts = await facts_of(context, stream, ref.instance_id)
        if facts.scheduled_on is not None and facts.scheduled_on != self.node:
            # Every node agent reads every stop (distributed mode); only the instance's node has its container
            # and must back it up. Another saying "no container was running" would stop it without a backup.
            return
        snapshot = await self._runtime.reconcile()
        if snapshot.instance(ref.workspace_id, ref.instance_id) is None:
            await self._advance(context, stream, ref, Phase.STOPPED, "no container was running", cause)
            return
        if facts.container is not None:
            await shut_down_tasks(facts.container.supervisor_port)  # tasks end before their files are saved
        await self._runtime.stop(ref)
        try:
            backup = await self._runtime.backup(ref)
        except WorkspaceBackupFailed as error:
            await self._emit(context, stream, [BackupFailed(instance_id=ref.instance_id, reason=error.reason)],
                             cause)
            await self._runtime.remove(ref)  # the volume stays: it holds the only copy
            await self._advance(context, stream, ref, Phase.STOPPED,
                                f"backup failed ({error.reason}); the workspace volume is kept", cause)
            return
        await self._emit(context, stream, [BackupCompleted(instance_id=ref.instance_id, blob=backup.key,
                                                           bytes=backup.bytes, seconds=backup.seconds)], cause)
        await self._runtime.remove(ref, confirmed_backup=backup.key)
        await self._advance(context, stream, ref, Phase.STOPPED,
                            f"backup {_mb(backup.bytes)} in {backup.seconds:.1f} s", cause)

    # -- appending ---------------------------------------------------------------------------------

    async def _advance(self, context: HandlerContext, stream: str, ref: InstanceRef, phase: Phase,
                       reason: str | None, cause: Cause) -> bool:
        """Move the instance on; False when the state machine refuses (the user stopped it meanwhile). Facts
        appended meanwhile (the proxy's activity, ports) only move the stream on: decided again on top of them."""
        decider = WorkspaceDecider()
        while True:
            workspace = await context.load(stream, decider)
            try:
                events = decider.decide(workspace.state, AdvanceInstance(ref.instance_id, phase, reason))
                await context.store.commit([context.append(stream, events, workspace.version, cause)])
            except StreamConflict:
                continue
            except Conflict as refused:
                log.info("%s: not moving %s to %s: %s", self.name, ref.instance_id, phase, refused)
                return False
            return True

    async def _emit(self, context: HandlerContext, stream: str, events: list[DomainEvent], cause: Cause) -> None:
        """Record facts at the stream's current version (nothing else decides on them)."""
        while True:
            version = await context.store.stream_version(stream)
            try:
                await context.store.commit([context.append(stream, events, version, cause)])
                return
            except Conflict:
                continue


async def _start_while_filling(start: Awaitable[A], fill: Awaitable[B]) -> tuple[A, B]:
    """Both results. A failed start stops the copy (nobody will use the content); a failed copy lets the start
    finish (it is short, and a container left half-announced would be worse). The start's failure is raised
    first, then the copy's."""
    starting = asyncio.ensure_future(start)
    filling = asyncio.ensure_future(fill)
    try:
        await asyncio.wait([starting, filling], return_when=asyncio.FIRST_EXCEPTION)
        if starting.done() and starting.exception() is not None:
            filling.cancel()
        await asyncio.wait([starting, filling])
    except asyncio.CancelledError:
        starting.cancel()
        filling.cancel()
        await asyncio.wait([starting, filling])
        raise
    for task in (starting, filling):
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            raise failure
    return starting.result(), filling.result()
