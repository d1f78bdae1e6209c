"""The workspace as the supervisor runs it: (with `content_ready`) the wait for /workspace's content, then
lifecycle commands, then the tasks, the IDE once every task has passed its `before` step, and the shutdown
that ends them all before the node agent backs up /workspace."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path

from supervisor.config import StartMode, SupervisorConfig
from supervisor.content import wait_for_content
from supervisor.environment import process_env
from supervisor.ide import IdeService, IdeStatus, supervisor_access
from supervisor.lifecycle import HookStatus, LifecycleRunner
from supervisor.logs import OutputLog
from supervisor.phases import TaskState, ready
from supervisor.processes import Launcher
from supervisor.tasks import TaskRunner
from supervisor.users import Identity, chown_to

log = logging.getLogger("workspace")

KILL_WAIT = 3.0
"""Seconds to wait for processes to vanish after SIGKILL (only a process stuck in the kernel stays)."""


class Workspace:
    def __init__(
        self, config: SupervisorConfig, *, launcher: Launcher, identity: Identity, base_env: dict[str, str]
    ) -> None:
        """`base_env` is the container's environment (see `environment.container_env`)."""
        self.config = config
        self.started_at = time.time()
        self.activity_at: float | None = None
        self.stopping = False
        self._launcher = launcher
        self._identity = identity
        self.start_mode: StartMode = config.start_mode
        """The config's, or what the content marker says once the content is there."""
        self.content_ready = config.content_ready is None
        """/workspace holds the content: until then nothing runs that touches it (supervisor/content.py)."""
        # Log files live in /workspace: created once the content is in place, not under the copy.
        open_now = self.content_ready
        log_dir = _prepare_log_dir(Path(config.log_dir), identity) if open_now else Path(config.log_dir)
        berth = {"BERTH_WORKSPACE_ID": config.workspace_id, "BERTH_INSTANCE_ID": config.instance_id}
        self.tasks = [
            TaskRunner(
                index,
                task,
                launcher=launcher,
                env=process_env(base_env, identity, config.env, task.env, berth, {"BERTH_TASK_INDEX": str(index)}),
                cwd=self.working_dir,
                output=OutputLog(log_dir / f"task-{index}.log" if log_dir else None, open_now=open_now),
                on_change=self._task_changed,
            )
            for index, task in enumerate(config.tasks)
        ]
        self.lifecycle = LifecycleRunner(
            config.lifecycle,
            launcher=launcher,
            env=process_env(base_env, identity, config.env, berth),
            cwd=self.working_dir,
            output_for=lambda hook: OutputLog(log_dir / f"lifecycle-{hook}.log" if log_dir else None,
                                              open_now=open_now),
            on_change=self._hook_changed,
        )
        self.ide = (
            None
            if config.ide is None
            else IdeService(
                config.ide,
                launcher=launcher,
                identity=identity,
                # Last: a workspace's own env must not point Berth's extension elsewhere.
                env=process_env(base_env, identity, config.env, berth, supervisor_access(config.port, config.token)),
                workspace_dir=config.workspace_dir,
                folder=self.ide_folder,
                output=OutputLog(log_dir / "ide.log" if log_dir else None, open_now=open_now),
                on_change=self._ide_changed,
            )
        )
        self._befores_done = asyncio.Event()
        self._main: asyncio.Task[None] | None = None
        self._shutdown: asyncio.Task[None] | None = None
        self._warned_cwd = False
        self._said_ready = False

    @property
    def ide_ready(self) -> bool:
        """The IDE answers (always true for a workspace without one)."""
        return self.ide is None or self.ide.status.ready

    @property
    def ready(self) -> bool:
        return self.lifecycle.settled and ready([runner.state for runner in self.tasks]) and self.ide_ready

    def touch(self) -> None:
        """Someone used the workspace (a tunnel opened or carried bytes)."""
        self.activity_at = time.time()

    def start(self) -> None:
        self._main = asyncio.create_task(self._run(), name="workspace")

    async def _run(self) -> None:
        await self._content()
        mode = self.start_mode
        log.info("starting: %s start, %d lifecycle hooks, %d tasks", mode, len(self.lifecycle.hooks), len(self.tasks))
        try:
            await self.lifecycle.run(mode)
        except Exception:
            log.exception("running the lifecycle commands failed; starting the tasks anyway")
        # A shutdown during the lifecycle has marked every runner: those then end without starting.
        runs = asyncio.gather(*(runner.run(mode) for runner in self.tasks), return_exceptions=True)
        if self.ide is not None:
            self._check_befores()  # no tasks: nothing to wait for
            await self._befores_done.wait()
            if not self.stopping:
                self.ide.start()
        outcomes = await runs
        for runner, outcome in zip(self.tasks, outcomes, strict=True):
            if isinstance(outcome, Exception):
                log.error("task %d: the supervisor failed running it: %r", runner.state.index, outcome)
                runner.state.finish(None, error=f"supervisor error: {outcome!r}")

    async def _content(self) -> None:
        """Wait for the content marker (when the config names one), then open the log files in /workspace."""
        marker = self.config.content_ready
        if marker is None:
            return
        ready = await wait_for_content(marker, self.config.instance_id, lambda: self.stopping)
        if ready is None:
            return  # stopped before the content came: nothing runs, nothing in /workspace is touched
        if ready.start_mode is not None:
            self.start_mode = ready.start_mode
        self.content_ready = True
        if _prepare_log_dir(Path(self.config.log_dir), self._identity) is not None:
            for output in self._outputs():
                output.open()

    def _outputs(self) -> list[OutputLog]:
        outputs = [runner.output for runner in self.tasks] + list(self.lifecycle.outputs.values())
        return outputs + ([self.ide.output] if self.ide is not None else [])

    def working_dir(self) -> str:
        """The checkout, or /workspace when the content has no such directory (reported once)."""
        for candidate in (self.config.checkout_dir, self.config.workspace_dir):
            if os.path.isdir(candidate):
                if candidate != self.config.checkout_dir and not self._warned_cwd:
                    self._warned_cwd = True
                    log.warning("%s does not exist; running in %s", self.config.checkout_dir, candidate)
                return candidate
        return "/"

    def ide_folder(self) -> str:
        """What the IDE opens: the workspace location, else the checkout, else /workspace (what exists)."""
        location = self.config.workspace_location
        if location is not None:
            candidate = os.path.join(self.config.workspace_dir, location)
            if os.path.exists(candidate):
                return candidate
        return self.working_dir()

    async def shutdown(self, grace: float) -> None:
        """End every process the workspace started: SIGTERM to each process group, SIGKILL to what is
        left after `grace` seconds. Concurrent calls share one shutdown; later calls return at once."""
        if self._shutdown is None:
            self._shutdown = asyncio.create_task(self._end_all(grace), name="shutdown")
        await asyncio.shield(self._shutdown)

    async def _end_all(self, grace: float) -> None:
        self.stopping = self.lifecycle.stopping = True
        for runner in self.tasks:
            runner.stopping = True
        self._befores_done.set()  # an IDE not started yet must not start now
        if self.ide is not None:
            self.ide.stop()
        groups = self._launcher.live_groups()
        log.info("shutdown: SIGTERM to %d process groups, SIGKILL after %g s", len(groups), grace)
        self._launcher.signal_all(signal.SIGTERM)
        if not await self._groups_ended(grace):
            left = self._launcher.live_groups()
            log.warning("shutdown: %d process groups outlived the grace period; SIGKILL", len(left))
            self._launcher.signal_all(signal.SIGKILL)
            if not await self._groups_ended(KILL_WAIT):
                log.error("shutdown: processes survived SIGKILL: groups %s", sorted(self._launcher.live_groups()))
        if self.ide is not None:
            await self.ide.stopped(KILL_WAIT)
        if self._main is not None:
            try:
                async with asyncio.timeout(KILL_WAIT):
                    await asyncio.shield(self._main)
            except TimeoutError:
                log.error("shutdown: the task runners did not end")
        phases = ", ".join(f"{runner.state.index}:{runner.state.phase}" for runner in self.tasks)
        log.info("shutdown: done; tasks %s", phases or "none")

    async def _groups_ended(self, within: float) -> bool:
        deadline = asyncio.get_running_loop().time() + within
        while self._launcher.live_groups():
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    def close(self) -> None:
        for output in self._outputs():
            output.close()

    def _task_changed(self, state: TaskState) -> None:
        details = f" exit {state.exit_code}" if state.exit_code is not None else ""
        details += " (stopped)" if state.stopped else ""
        details += f": {state.error}" if state.error else ""
        log.info("task %d%s: %s%s", state.index, f" ({state.name})" if state.name else "", state.phase, details)
        self._check_befores()
        self._log_ready()

    def _check_befores(self) -> None:
        """Every task has left its `before` step (or ended, or has none): the IDE may start."""
        if all(runner.state.phase not in ("pending", "before") for runner in self.tasks):
            self._befores_done.set()

    def _ide_changed(self, status: IdeStatus) -> None:
        log.info("ide: %s%s", status.state, f" ({status.error})" if status.error else "")
        self._log_ready()

    def _hook_changed(self, status: HookStatus) -> None:
        details = f" exit {status.exit_code}" if status.exit_code is not None else ""
        details += f": {status.reason}" if status.reason else ""
        log.info("lifecycle %s: %s%s", status.hook, status.state, details)
        self._log_ready()

    def _log_ready(self) -> None:
        if self.ready and not self._said_ready and not self.stopping:
            self._said_ready = True
            log.info("ready")


def _prepare_log_dir(path: Path, identity: Identity) -> Path | None:
    """Create the log directory (owned by the user, whose workspace it is in); None when impossible."""
    missing = [parent for parent in (path, *path.parents) if not parent.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        for created in missing:
            chown_to(str(created), identity)
    except OSError as error:
        log.warning("cannot create the log directory %s (%s); task output is kept in memory only", path, error)
        return None
    return path
