"""Reaping children: the job of PID 1 (and of `tini`), done by the supervisor itself.

Inside a container the supervisor is the first process, so every orphan of every task ends up as
its child and stays a zombie until someone calls wait() on it. Wrappers add a twist: an init
(docker-init) or a one-file bootloader may be PID 1 and run the supervisor as a child, reaping
only that child. Making the supervisor a *child subreaper* (prctl) sends orphans to the
supervisor instead, whatever its PID, so one mechanism covers both cases.

Because orphans arrive unannounced, the supervisor cannot wait for specific pids (asyncio's child
watchers do that, and a wait(-1) would steal their statuses); instead one SIGCHLD handler collects
every exit with waitpid(-1) and hands the statuses of the processes the supervisor started to
whoever is waiting for them.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import signal

log = logging.getLogger("reaper")

_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def become_subreaper() -> bool:
    """Ask Linux to re-parent orphaned descendants to this process; False where that is unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def exit_code(status: int) -> int:
    """A wait status as a shell reports it: the exit code, or 128 + the signal that ended the process."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


class Reaper:
    """Collects the exit of every child (started or inherited) and resolves the futures of watched ones."""

    def __init__(self) -> None:
        self._watched: dict[int, asyncio.Future[int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.orphans_reaped = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_signal_handler(signal.SIGCHLD, self.reap)
        self.reap()  # children that ended before the handler was installed

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.remove_signal_handler(signal.SIGCHLD)
            self._loop = None

    def watch(self, pid: int) -> asyncio.Future[int]:
        """The future exit code of a child just started. Call it in the same loop step as the spawn: the
        handler runs only between steps, so the exit cannot be collected before it is watched."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._watched[pid] = future
        return future

    def reap(self) -> None:
        # Signals coalesce: one SIGCHLD may stand for many exits, so collect until none is left.
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            future = self._watched.pop(pid, None)
            if future is None:
                self.orphans_reaped += 1
                log.debug("reaped orphan pid %d (exit %d)", pid, exit_code(status))
            elif not future.done():
                future.set_result(exit_code(status))
