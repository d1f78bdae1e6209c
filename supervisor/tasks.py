"""Running one Gitpod task: its steps in one `bash -lc` as the workspace user, its output to its log,
its phase followed from the markers the script writes (see `phases`)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping

from supervisor.config import StartMode, TaskConfig
from supervisor.logs import OutputLog
from supervisor.phases import TaskState, compose_script, steps
from supervisor.processes import Launcher, settle_output
from supervisor.terminals import Terminal

log = logging.getLogger("tasks")


class TaskRunner:
    def __init__(
        self,
        index: int,
        config: TaskConfig,
        *,
        launcher: Launcher,
        env: Mapping[str, str],
        cwd: Callable[[], str],
        output: OutputLog,
        on_change: Callable[[TaskState], None],
    ) -> None:
        self.config = config
        self.state = TaskState(index=index, name=config.name)
        self.output = output
        self.terminal = Terminal(index, config.name, lambda: self.state.phase)
        """Where the task runs: attachable, with its recent output (see `terminals`)."""
        self.stopping = False
        """Set by the shutdown: the task must not start, and its end is a stop, not a failure."""
        self._launcher = launcher
        self._env = env
        self._cwd = cwd
        self._on_change = on_change

    async def run(self, mode: StartMode) -> None:
        plan = steps(self.config, mode)
        if self.stopping or not plan:
            self.output.end()
            self.terminal.end()
            self._finish(None, stopped=self.stopping)
            return
        self.state.begin(plan)
        self._on_change(self.state)
        read_fd, write_fd = os.pipe()
        try:
            child = self.terminal.spawn(
                self._launcher,
                ["bash", "-lc", compose_script(plan, write_fd, self._env.get("PATH"))],
                env=self._env,
                cwd=self._cwd(),
                sink=self.output.append,
                pass_fds=(write_fd,),
            )
        except OSError as error:
            os.close(read_fd)
            reason = f"cannot start bash: {error}"
            self.output.append(f"berth: {reason}\n".encode())
            self.output.end()
            self.terminal.end()
            self._finish(None, error=reason)
            return
        finally:
            os.close(write_fd)  # the shell holds the only write end now
        child.output_closed.add_done_callback(lambda _: self.output.end())
        markers = _LineReader(read_fd, self._announced)
        try:
            code = await child.exited
        finally:
            markers.close()  # reads what the shell wrote before it ended
        stopped = self.stopping  # as the task ended, not after its output settled
        await settle_output(child)
        self._finish(code, stopped=stopped)

    def _announced(self, phase: str) -> None:
        if self.state.advance(phase):
            self._on_change(self.state)

    def _finish(self, code: int | None, *, stopped: bool = False, error: str | None = None) -> None:
        self.state.finish(code, stopped=stopped, error=error)
        self._on_change(self.state)


class _LineReader:
    """Calls `on_line` for every line written to a pipe, as it arrives."""

    def __init__(self, fd: int, on_line: Callable[[str], None]) -> None:
        self._fd = fd
        self._on_line = on_line
        self._buffer = b""
        self._loop = asyncio.get_running_loop()
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._readable)

    def _readable(self) -> None:
        if self._take() == b"":
            self._loop.remove_reader(self._fd)  # the end of the pipe: stop watching it

    def _take(self) -> bytes | None:
        """What the pipe holds now (b"" at its end, None when nothing is there yet)."""
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return None
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        for line in lines:
            self._on_line(line.decode("utf-8", "replace"))
        return data

    def close(self) -> None:
        # A process the login profile started in the background may hold the write end open, so
        # "the end" is "nothing more to read now", not EOF.
        self._loop.remove_reader(self._fd)
        while self._take():
            pass
        os.close(self._fd)
