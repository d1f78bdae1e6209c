"""The Docker runtime of one node: workspace containers, their content, backups and events.

Every engine call blocks, so each operation runs in a worker thread behind an async method; long
transfers (content init, backup) stop between chunks when their caller is cancelled. The runtime
keeps no state of its own: names and labels derive from ids (naming.py), so a restarted agent
picks up where the last one stopped, and `reconcile()` says what exists now.

A typical instance: `create` -> `init_content` -> `start` ... `stop` -> `backup` -> `remove`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import math
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import docker.errors

from domain.errors import Unavailable
from infra.blobs import BlobStore
from infra.blobs.threads import on_loop, run_stoppable
from infra.images.errors import ImageNotFound
from infra.images.local_images import BASE_IMAGE
from node_agent.container_config import container_request
from node_agent.content.backup import BackupTotals, back_up
from node_agent.content.backup_source import backup_source
from node_agent.content.git_upload import clone_into_workspace
from node_agent.content.marker import ContentMarker, marker_archive, marker_entries, read_marker
from node_agent.content.restore import restore
from node_agent.content.tar_tree import END_OF_ARCHIVE, WORKSPACE_OWNER, TreeChanged, directory_entries
from node_agent.engine import Engine, engine_errors, status_of
from node_agent.errors import (
    BackupMissing,
    ContainerExists,
    ContainerNotFound,
    ContainerStoppedEarly,
    ContentInitFailed,
    EngineRequestFailed,
    SupervisorFileMissing,
    WorkspaceBackupFailed,
)
from node_agent.event_stream import EventSubscription, subscribe
from node_agent.instance import (
    BackupResult,
    ContentResult,
    ContentSource,
    CreatedInstance,
    GitSource,
    InstanceRef,
    InstanceSpec,
    RemovalResult,
    StartedInstance,
    WorkspaceDeletion,
)
from node_agent.naming import (
    LABEL_NODE,
    LABEL_WORKSPACE,
    backup_prefix,
    check_node,
    check_workspace_id,
)
from node_agent.progress import Progress, ProgressCallback, ProgressMeter, Stage
from node_agent.reconcile import NodeSnapshot, supervisor_port, take_snapshot
from node_agent.runtime_events import RuntimeEvent
from node_agent.volumes import ensure_volume, remove_volume, volume_incarnation
from node_agent.workspace_classes import WORKSPACE_CLASSES, WorkspaceClass, resolve_class

log = logging.getLogger(__name__)
T = TypeVar("T")

EventHandler = Callable[[RuntimeEvent], Awaitable[object] | object]
SnapshotHandler = Callable[[NodeSnapshot], Awaitable[object] | object]


class DockerRuntime:
    def __init__(
        self,
        engine: Engine,
        blobs: BlobStore,
        *,
        node: str = "local",
        classes: Mapping[str, WorkspaceClass] = WORKSPACE_CLASSES,
        clone_dir: Path | None = None,
        helper_image: str = BASE_IMAGE,
        progress_interval: float = 0.25,
        compression_threads: int = -1,
    ) -> None:
        """`node` labels everything this runtime creates, and it only ever sees what carries its
        label: two agents (or a test run) sharing one engine never touch each other's workspaces.
        `helper_image` runs the throwaway container that backs up a volume whose instance
        container is gone. `compression_threads`: zstd workers per backup (-1: one per CPU)."""
        self.engine = engine
        self.blobs = blobs
        self.node = check_node(node)
        self.classes = classes
        self.clone_dir = clone_dir
        self.helper_image = helper_image
        self.progress_interval = progress_interval
        self.compression_threads = compression_threads

    @classmethod
    async def connect(cls, blobs: BlobStore, *, node: str = "local",
                      classes: Mapping[str, WorkspaceClass] = WORKSPACE_CLASSES) -> DockerRuntime:
        """A runtime on the engine named by the environment (DOCKER_HOST...); Unavailable when there is none."""
        engine = await asyncio.to_thread(Engine.connect)
        return cls(engine, blobs, node=node, classes=classes)

    async def close(self) -> None:
        await asyncio.to_thread(self.engine.close)

    # -- create and start -------------------------------------------------------------------------

    async def create(self, spec: InstanceSpec) -> CreatedInstance:
        """The instance's container (not started) and, unless it survived an earlier instance, the
        workspace volume. Raises ImageNotFound, SupervisorFileMissing, UnknownWorkspaceClass,
        ContainerExists, Unavailable."""
        return await asyncio.to_thread(self._create, spec)

    def _create(self, spec: InstanceSpec) -> CreatedInstance:
        ref = spec.ref
        request = container_request(spec, resolve_class(spec.workspace_class, self.classes), self.node)
        mounted = [("supervisor binary", spec.supervisor_binary), ("supervisor config", spec.supervisor_config)]
        if spec.ide_extension is not None:
            # A missing file would be bind-mounted as a new empty directory: refuse instead.
            mounted.append(("IDE extension", spec.ide_extension))
        for what, path in mounted:
            if not path.is_file():
                raise SupervisorFileMissing(what, str(path))
        if spec.supervisor_lib is not None and not spec.supervisor_lib.is_dir():
            raise SupervisorFileMissing("supervisor runtime directory", str(spec.supervisor_lib))
        reused, incarnation = ensure_volume(self.engine, ref, self.node)
        api = self.engine.api
        container_id: str | None = None
        try:
            with engine_errors(f"creating container {request.name}"):
                try:
                    created = api.create_container(**request.create, host_config=api.create_host_config(**request.host))
                except docker.errors.ImageNotFound:
                    # Said by the create itself rather than asked before it: one engine round trip less per start.
                    raise ImageNotFound(spec.image, "it is not in this node's engine (images are built or mapped "
                                                    "before an instance is created)") from None
                except docker.errors.APIError as error:
                    if status_of(error) == 409:
                        raise ContainerExists(request.name) from error
                    raise
                container_id = str(created["Id"])
                if not reused:
                    # /workspace belongs to the workspace user whatever the image says about it.
                    archive = itertools.chain(directory_entries(["workspace"], WORKSPACE_OWNER), [END_OF_ARCHIVE])
                    api.put_archive(container_id, "/", archive)
        except BaseException:
            # Nothing half-made stays behind; a volume that held content before is never touched.
            if container_id is not None:
                with contextlib.suppress(Exception):
                    api.remove_container(container_id, force=True)
            if not reused:
                with contextlib.suppress(Exception):
                    api.remove_volume(ref.volume_name)
            raise
        return CreatedInstance(ref, container_id, volume_reused=reused, incarnation=incarnation)

    async def start(self, ref: InstanceRef) -> StartedInstance:
        """Start the container and read back the host port of its supervisor (127.0.0.1 only)."""
        return await asyncio.to_thread(self._start, ref)

    def _start(self, ref: InstanceRef) -> StartedInstance:
        name = ref.container_name
        with self._container(name), engine_errors(f"starting container {name}"):
            self.engine.api.start(name)
            info = self.engine.inspect_container(name)
        state = info.get("State") or {}
        port = supervisor_port(info)
        if not state.get("Running") or port is None:
            exit_code = state.get("ExitCode") if not state.get("Running") else None
            raise ContainerStoppedEarly(name, exit_code, str(state.get("Error") or ""))
        return StartedInstance(ref, str(info["Id"]), port)

    # -- content ----------------------------------------------------------------------------------

    async def init_content(
        self,
        created: CreatedInstance,
        *,
        backup: str | None = None,
        git: GitSource | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> ContentResult:
        """Fill /workspace, before the container starts or while it starts: nothing, when the volume kept
        from an earlier instance holds completed content (it is newer than any backup); else from the
        `backup` blob when given (BackupMissing when it is not in the store: never a silent fresh clone);
        else from `git`; else empty. Ends with the content marker naming this instance, which is what the
        supervisor waits for before it runs anything in /workspace. Progress goes to `on_progress` on the
        caller's loop."""
        report = on_loop(on_progress, asyncio.get_running_loop())
        return await run_stoppable(lambda stop: self._init_content(created, backup, git, report, stop))

    def _init_content(self, created: CreatedInstance, backup: str | None, git: GitSource | None,
                      report: Callable[[Progress], None], stop: threading.Event) -> ContentResult:
        ref = created.ref
        container = ref.container_name
        incarnation = created.incarnation or volume_incarnation(self.engine, ref.volume_name)
        kept = False
        if created.volume_reused:
            marker = read_marker(self.engine, container)
            kept = marker is not None and marker.incarnation == incarnation

        def meter_for(stage: Stage) -> ProgressMeter:
            return ProgressMeter(stage, report, self.progress_interval)

        with self._container(container):
            if kept:
                result = ContentResult(ContentSource.VOLUME, 0, 0.0)
            elif backup is not None:
                with _content_errors("the backup"):
                    restored = restore(self.engine, self.blobs, container, backup, meter_for(Stage.RESTORE), stop)
                result = ContentResult(ContentSource.BACKUP, restored.tar_bytes, restored.seconds)
            elif git is not None:
                # The marker is the archive's last entry: extracted only once the whole checkout is, and one
                # engine upload (a helper process in the container) fewer than writing it on its own.
                marker = self._marker(ref, incarnation, ContentSource.GIT)
                with _content_errors(f"a clone of {git.url}"):
                    cloned = clone_into_workspace(self.engine, container, git, meter_for, stop, self.clone_dir,
                                                  trailer=marker_entries(marker))
                return ContentResult(ContentSource.GIT, cloned.tar_bytes, cloned.seconds, commit=cloned.commit)
            else:
                result = ContentResult(ContentSource.EMPTY, 0, 0.0)
            with engine_errors("writing the content marker"):
                self.engine.api.put_archive(container, "/", marker_archive(self._marker(ref, incarnation,
                                                                                        result.source)))
        return result

    @staticmethod
    def _marker(ref: InstanceRef, incarnation: str | None, source: ContentSource) -> ContentMarker:
        return ContentMarker(incarnation or "", source.value, ref.instance_id, source.start_mode)

    # -- stop, back up, remove --------------------------------------------------------------------

    async def stop(self, ref: InstanceRef, *, timeout: float = 10.0) -> bool:
        """SIGTERM, then SIGKILL after `timeout` seconds; False when the container does not exist."""
        return await asyncio.to_thread(self._stop, ref.container_name, timeout)

    def _stop(self, name: str, timeout: float) -> bool:
        try:
            with engine_errors(f"stopping container {name}"):
                self.engine.api.stop(name, timeout=math.ceil(timeout))
        except docker.errors.NotFound:
            return False
        return True

    async def backup(self, ref: InstanceRef, *, on_progress: ProgressCallback | None = None) -> BackupResult:
        """/workspace -> zstd -> blob `backups/<workspace>/<instance>.tar.zst`, confirmed when this
        returns. Best taken after `stop` (a quiet file system). Works from the volume alone when the
        container is gone. Any failure raises WorkspaceBackupFailed and leaves the volume as it was."""
        report = on_loop(on_progress, asyncio.get_running_loop())
        meter = ProgressMeter(Stage.BACKUP, report, self.progress_interval)
        key = ref.backup_key
        try:
            totals = await run_stoppable(lambda stop: self._back_up(ref, key, meter, stop))
        except Exception as error:  # whatever broke, the answer is "backup_failed, volume kept"
            raise WorkspaceBackupFailed(ref.workspace_id, ref.instance_id, _describe(error)) from error
        return BackupResult(key, totals.stored_bytes, totals.tar_bytes, totals.seconds)

    def _back_up(self, ref: InstanceRef, key: str, meter: ProgressMeter, stop: threading.Event) -> BackupTotals:
        with backup_source(self.engine, ref, self.node, self.helper_image) as container:
            return back_up(self.engine, self.blobs, container, key, meter, stop, threads=self.compression_threads)

    async def remove(self, ref: InstanceRef, *, confirmed_backup: str | None = None,
                     stop_timeout: float = 10.0) -> RemovalResult:
        """Stop and remove the container; remove the volume only when `confirmed_backup` names a
        backup blob that exists (BackupMissing, volume kept, otherwise). Idempotent."""
        return await asyncio.to_thread(self._remove, ref, confirmed_backup, stop_timeout)

    def _remove(self, ref: InstanceRef, confirmed_backup: str | None, stop_timeout: float) -> RemovalResult:
        name = ref.container_name
        container_removed = False
        try:
            with engine_errors(f"removing container {name}"):
                self.engine.api.stop(name, timeout=math.ceil(stop_timeout))
                self.engine.api.remove_container(name, v=False, force=True)
            container_removed = True
        except docker.errors.NotFound:
            pass
        volume_removed = False
        if confirmed_backup is not None:
            # Trust, but verify: the volume is the last copy of the user's work.
            if self.blobs.stat_blocking(confirmed_backup) is None:
                raise BackupMissing(confirmed_backup)
            volume_removed = remove_volume(self.engine, ref.volume_name)
        return RemovalResult(container_removed, volume_removed)

    async def delete_workspace(self, workspace_id: str) -> WorkspaceDeletion:
        """Everything of a deleted workspace: its containers (killed), its volume and its backups."""
        check_workspace_id(workspace_id)
        removed, volume_removed = await asyncio.to_thread(self._delete_engine_parts, workspace_id)
        backups = await self.blobs.list(backup_prefix(workspace_id))
        for backup in backups:
            await self.blobs.delete(backup.key)
        return WorkspaceDeletion(removed, volume_removed, len(backups))

    def _delete_engine_parts(self, workspace_id: str) -> tuple[int, bool]:
        labels = [f"{LABEL_WORKSPACE}={workspace_id}", f"{LABEL_NODE}={self.node}"]
        with engine_errors(f"listing containers of {workspace_id}"):
            containers = self.engine.api.containers(all=True, filters={"label": labels})
        removed = 0
        for container in containers:
            with contextlib.suppress(docker.errors.NotFound), engine_errors(f"removing containers of {workspace_id}"):
                self.engine.api.remove_container(container["Id"], v=False, force=True)
                removed += 1
        volume = InstanceRef(workspace_id, "delete").volume_name
        return removed, remove_volume(self.engine, volume)

    # -- observe ----------------------------------------------------------------------------------

    async def reconcile(self) -> NodeSnapshot:
        """Every container and volume of this node now, with state, exit code and supervisor port."""
        return await asyncio.to_thread(take_snapshot, self.engine, self.node)

    async def subscribe(self) -> EventSubscription:
        """Runtime events from now on (open when this returns); `async with` it to close it."""
        return await subscribe(self.engine, [LABEL_WORKSPACE, f"{LABEL_NODE}={self.node}"])

    async def watch(self, on_event: EventHandler) -> None:
        """Deliver runtime events until cancelled; Unavailable when the engine's stream ends."""
        async with await self.subscribe() as events:
            async for event in events:
                await _call(on_event, event)

    async def observe(self, on_event: EventHandler, on_snapshot: SnapshotHandler, *, retry_delay: float = 1.0,
                      max_retry_delay: float = 30.0) -> None:
        """Converge forever: subscribe, hand over a fresh snapshot, then events; when the engine goes
        away (restart), wait and do it all again, so events missed in between are made up for by
        the next snapshot. Runs until cancelled."""
        delay = retry_delay
        while True:
            try:
                async with await self.subscribe() as events:
                    await _call(on_snapshot, await self.reconcile())
                    delay = retry_delay
                    async for event in events:
                        await _call(on_event, event)
            except Unavailable as error:
                log.warning("docker engine unavailable, observing again in %.1fs: %s", delay, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_retry_delay)

    # -- helpers ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _container(self, name: str) -> Iterator[None]:
        try:
            yield
        except docker.errors.NotFound:
            raise ContainerNotFound(name) from None


@contextlib.contextmanager
def _content_errors(source: str) -> Iterator[None]:
    """The engine refusing the archive, or the tree changing under it, fails content init for good."""
    try:
        yield
    except EngineRequestFailed as error:
        raise ContentInitFailed(source, error.explanation) from error
    except TreeChanged as error:
        raise ContentInitFailed(source, str(error)) from error


async def _call(handler: Callable[[T], Awaitable[object] | object], value: T) -> None:
    outcome = handler(value)
    if inspect.isawaitable(outcome):
        await outcome


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__

