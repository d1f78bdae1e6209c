"""devcontainer lifecycle commands: run in spec order before the tasks.

    fresh start:  onCreateCommand → updateContentCommand → postCreateCommand → postStartCommand
    restart:      postStartCommand
    never:        postAttachCommand (Berth has no "attach"; reported as skipped)

As in the devcontainer CLI, a failing hook stops the hooks after it (they are reported as skipped);
the tasks still run, and the workspace stays up. The string form runs with `/bin/sh -c`, the array
form without a shell, the object form's commands concurrently with their output line-prefixed
`[name] ` in the hook's one log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from supervisor.config import (
    LifecycleCommand,
    LifecycleHook,
    ParallelCommands,
    ShellCommand,
    SingleCommand,
    StartMode,
)
from supervisor.logs import LinePrefixer, OutputLog
from supervisor.processes import Launcher, settle_output

log = logging.getLogger("lifecycle")

State = Literal["pending", "running", "done", "failed", "skipped"]
_RUN_ON: dict[StartMode, frozenset[LifecycleHook]] = {
    "fresh": frozenset({"onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand"}),
    "restart": frozenset({"postStartCommand"}),
}


@dataclass
class CommandStatus:
    name: str | None
    state: State = "pending"
    exit_code: int | None = None
    error: str | None = None

    def ended(self, code: int | None, error: str | None, stopped: bool) -> None:
        self.exit_code = code
        self.error = error
        self.state = "done" if stopped or (code == 0 and error is None) else "failed"

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "state": self.state, "exit_code": self.exit_code, "error": self.error}


@dataclass
class HookStatus:
    hook: LifecycleHook
    state: State = "pending"
    exit_code: int | None = None
    """The exit code of the command, or of the first failing one of a parallel hook."""
    stopped: bool = False
    reason: str | None = None
    """Why a hook was skipped or could not start."""
    commands: list[CommandStatus] = field(default_factory=list)
    """The named commands of the parallel form (empty for a single command)."""

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    def as_json(self) -> dict[str, object]:
        return {
            "hook": self.hook,
            "state": self.state,
            "exit_code": self.exit_code,
            "stopped": self.stopped,
            "reason": self.reason,
            "commands": [command.as_json() for command in self.commands],
        }


class LifecycleRunner:
    def __init__(
        self,
        commands: tuple[LifecycleCommand, ...],
        *,
        launcher: Launcher,
        env: Mapping[str, str],
        cwd: Callable[[], str],
        output_for: Callable[[LifecycleHook], OutputLog],
        on_change: Callable[[HookStatus], None],
    ) -> None:
        self._commands = commands
        self.hooks = [HookStatus(command.hook) for command in commands]
        self.outputs: dict[str, OutputLog] = {command.hook: output_for(command.hook) for command in commands}
        self.stopping = False
        self._launcher = launcher
        self._env = env
        self._cwd = cwd
        self._on_change = on_change

    @property
    def settled(self) -> bool:
        return all(hook.state not in ("pending", "running") for hook in self.hooks)

    async def run(self, mode: StartMode) -> None:
        blocked: str | None = None
        for command, status in zip(self._commands, self.hooks, strict=True):
            output = self.outputs[command.hook]
            if self.stopping:
                blocked = "the workspace is shutting down"
            reason = blocked or (None if command.hook in _RUN_ON[mode] else f"not run on a {mode} start")
            if reason is not None:
                status.state, status.reason, status.stopped = "skipped", reason, self.stopping
                output.end()
                self._on_change(status)
                continue
            status.state = "running"
            self._on_change(status)
            terminals: list[asyncio.Future[None]] = []
            await self._run_hook(command.command, status, output, terminals)
            # Ended once every terminal writing into it closed (background jobs may keep one open).
            asyncio.gather(*terminals).add_done_callback(_ender(output))
            self._on_change(status)
            if status.failed:
                blocked = f"{command.hook} failed"

    async def _run_hook(
        self,
        action: SingleCommand | ParallelCommands,
        status: HookStatus,
        output: OutputLog,
        terminals: list[asyncio.Future[None]],
    ) -> None:
        if isinstance(action, ParallelCommands):
            status.commands = [CommandStatus(name) for name, _ in action.commands]
            prefixers = [LinePrefixer(f"[{name}] ", output.append) for name, _ in action.commands]
            await asyncio.gather(
                *(
                    self._run_one(single, command, prefixer, terminals)
                    for (_, single), command, prefixer in zip(action.commands, status.commands, prefixers, strict=True)
                )
            )
            for prefixer in prefixers:
                prefixer.flush()
            failed = next((command for command in status.commands if command.state == "failed"), None)
            status.exit_code = (failed.exit_code if failed else 0) if not self.stopping else None
            status.reason = failed.error if failed else None
            status.state = "failed" if failed else "done"
        else:
            single = CommandStatus(None)
            await self._run_one(action, single, output.append, terminals)
            status.exit_code, status.reason, status.state = single.exit_code, single.error, single.state
        status.stopped = self.stopping

    async def _run_one(
        self,
        command: SingleCommand,
        status: CommandStatus,
        sink: Callable[[bytes], None],
        terminals: list[asyncio.Future[None]],
    ) -> None:
        argv = ["/bin/sh", "-c", command.command] if isinstance(command, ShellCommand) else list(command.argv)
        status.state = "running"
        try:
            child = self._launcher.spawn(argv, env=self._env, cwd=self._cwd(), sink=sink)
        except OSError as error:
            reason = f"cannot start {argv[0]}: {error}"
            sink(f"berth: {reason}\n".encode())
            status.ended(None, reason, stopped=False)
            return
        terminals.append(child.output_closed)
        code = await child.exited
        stopped = self.stopping  # as the command ended, not after its output settled
        await settle_output(child)
        status.ended(code, None, stopped=stopped)


def _ender(output: OutputLog) -> Callable[[object], None]:
    return lambda _: output.end()
