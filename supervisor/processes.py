"""Starting the workspace's processes: each in its own session (so one signal reaches the whole
process group, background jobs included) with a pseudo-terminal as stdin, stdout and stderr.

A terminal rather than pipes because that is what Gitpod tasks get and what developers' tools
expect: programs line-buffer and colour their output instead of holding it back in a pipe buffer,
and a dev server that exits when stdin closes keeps running. Output translation (\\n → \\r\\n) is
turned off so the log files stay plain text.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import struct
import subprocess
import termios
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from supervisor.reaper import Reaper
from supervisor.users import Credentials

log = logging.getLogger("processes")

_WINDOW = struct.pack("HHHH", 40, 120, 0, 0)  # rows, columns: a sane size for tools that ask
_READ_CHUNK = 1 << 16


@dataclass
class Child:
    pid: int
    exited: asyncio.Future[int]
    """The exit code (128 + signal when killed), once the process itself ended."""
    output_closed: asyncio.Future[None]
    """Set when no process holds the terminal any more (background jobs may outlive `exited`)."""
    _popen: subprocess.Popen[bytes] = field(repr=False)
    """Held while the child runs: a Popen collected before its child ended warns (ResourceWarning)."""


async def settle_output(child: Child, within: float = 0.5) -> None:
    """Wait (briefly) for the last output of a child that exited, so that a step reported as ended has
    its final words in the log; not for whatever the child left running on the same terminal."""
    try:
        async with asyncio.timeout(within):
            await asyncio.shield(child.output_closed)
    except TimeoutError:
        pass


def signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    return True


class Launcher:
    """Starts processes as the workspace user and remembers their process groups for the shutdown."""

    def __init__(self, reaper: Reaper, credentials: Credentials) -> None:
        self._reaper = reaper
        self._credentials = credentials
        self.groups: set[int] = set()

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str,
        sink: Callable[[bytes], None],
        pass_fds: Sequence[int] = (),
    ) -> Child:
        """Start `argv`; its terminal output goes to `sink`. OSError when it cannot start (no such
        program or directory), raised here so the caller can report it as the step's failure."""
        master, child = self.start_on_terminal(argv, env=env, cwd=cwd, pass_fds=pass_fds)
        _follow_output(asyncio.get_running_loop(), master, sink, child.output_closed)
        return child

    def start_on_terminal(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str,
        pass_fds: Sequence[int] = (),
        echo: bool = False,
    ) -> tuple[int, Child]:
        """Start `argv` in a session of its own on a new pseudo-terminal; returns the terminal's master end
        (the caller reads the output from it, and may type into it) and the child. `echo`: show what is typed,
        as a terminal does, for a terminal someone may attach to."""
        master, slave = os.openpty()
        try:
            _configure_terminal(slave, echo=echo)
            popen = subprocess.Popen(
                list(argv),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=cwd,
                env=dict(env),
                start_new_session=True,
                close_fds=True,
                pass_fds=tuple(pass_fds),
                user=self._credentials.user,
                group=self._credentials.group,
                extra_groups=self._credentials.extra_groups,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            # Only the child may hold the terminal's other end: its last close is how we see EOF.
            os.close(slave)
        exited = self._reaper.watch(popen.pid)
        # The reaper collected the status; tell Popen so it does not look for it again.
        exited.add_done_callback(lambda done: setattr(popen, "returncode", None if done.cancelled() else done.result()))
        self.groups.add(popen.pid)
        loop = asyncio.get_running_loop()
        return master, Child(pid=popen.pid, exited=exited, output_closed=loop.create_future(), _popen=popen)

    def live_groups(self) -> set[int]:
        """Process groups that still have a member (forgetting the empty ones)."""
        self.groups = {pgid for pgid in self.groups if signal_group(pgid, 0)}
        return set(self.groups)

    def signal_all(self, signum: int) -> None:
        for pgid in self.live_groups():
            signal_group(pgid, signum)


def _configure_terminal(fd: int, *, echo: bool = False) -> None:
    attributes = termios.tcgetattr(fd)
    attributes[1] &= ~termios.ONLCR  # oflag: keep "\n" as written
    if echo:
        attributes[3] |= termios.ECHO  # lflag: someone may type here: show it
    else:
        attributes[3] &= ~termios.ECHO  # lflag: nobody types here; nothing to echo
    termios.tcsetattr(fd, termios.TCSANOW, attributes)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, _WINDOW)


def _follow_output(
    loop: asyncio.AbstractEventLoop, master: int, sink: Callable[[bytes], None], closed: asyncio.Future[None]
) -> None:
    os.set_blocking(master, False)

    def finish() -> None:
        loop.remove_reader(master)
        os.close(master)
        if not closed.done():
            closed.set_result(None)

    def readable() -> None:
        try:
            data = os.read(master, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as error:
            # Linux answers EIO on the master once every holder of the terminal has closed it.
            if error.errno != errno.EIO:
                log.warning("reading a terminal failed: %s", error)
            finish()
            return
        if not data:
            finish()
            return
        try:
            sink(data)
        except Exception:
            log.exception("storing output failed")

    loop.add_reader(master, readable)
