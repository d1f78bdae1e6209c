"""Running a command (or a login shell) in the workspace for someone outside it: what SSH sessions use.

    POST /_berth/exec HTTP/1.1
    X-Berth-Exec: {"argv": [...] | null, "command": str | null, "pty": bool, "rows": int, "cols": int,
                   "env": {"NAME": "value"}}

The spec travels in one header (compact JSON, ASCII) rather than a body, so the request is a plain head
like CONNECT's. `argv` runs as given; else `command` runs as `<user's shell> -c <command>` (what sshd
does); neither: `<user's shell> -l`. The process runs as the workspace user, in the checkout (as tasks
do), in its own session, with the tasks' environment plus `env`. With `pty` its stdin, stdout and stderr
are a new terminal of `rows` x `cols` (its controlling terminal, so job control and ^C work); without,
three pipes.

Answers: 400 for a bad spec, 422 when the program cannot start (the reason as text), 503 while the
workspace stops; else `HTTP/1.1 101 Switching Protocols` (`Upgrade: berth-exec`), and from then on both
directions carry frames:

    type: 1 byte | length: 4 bytes, big-endian | payload: length bytes

    client → supervisor   0 STDIN   bytes for the process; an empty payload is the end of input
                                    (closes the stdin pipe; on a pty, sends the terminal's EOF, ^D)
                          3 RESIZE  rows: u16, cols: u16 (big-endian); ignored without a pty
                          4 SIGNAL  signal number: u8, sent to the process group
    supervisor → client   1 STDOUT  output (everything, with a pty)
                          2 STDERR  error output (pipes only)
                          5 EXIT    exit code: i32 (128 + N when killed by signal N); the last frame,
                                    then the supervisor closes the connection

A client that closes the connection before EXIT hangs the process up (SIGHUP to its group, as sshd
does when the network goes), SIGKILL if it is still there after HANGUP_GRACE. Frames in either
direction update `activity_at`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import logging
import os
import signal
import struct
import subprocess
import termios
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from supervisor.environment import container_env, process_env
from supervisor.http import HttpError, Request
from supervisor.processes import Launcher, signal_group
from supervisor.reaper import Reaper
from supervisor.users import credentials_for, resolve
from supervisor.workspace import Workspace

log = logging.getLogger("exec")

STDIN, STDOUT, STDERR, RESIZE, SIGNAL, EXIT = 0, 1, 2, 3, 4, 5
HEADER = struct.Struct(">BI")
MAX_FRAME = 1 << 20
"""The largest payload a client may send; a bigger length is a protocol error that ends the session."""
SWITCHING = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: berth-exec\r\nConnection: Upgrade\r\n\r\n"
OUTPUT_SETTLE = 1.0
"""Seconds to wait, after the process exited, for output still in flight (not for background jobs that
keep the terminal or pipes open: they would hold the session forever)."""
HANGUP_GRACE = 5.0
_CHUNK = 1 << 16
_MAX_ROWS_COLS = 10_000
_EOF_CHAR = b"\x04"


@dataclass(frozen=True)
class ExecSpec:
    argv: list[str] | None = None
    command: str | None = None
    pty: bool = False
    rows: int = 24
    cols: int = 80
    env: dict[str, str] = field(default_factory=dict)


def frame(kind: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def parse_spec(text: str) -> ExecSpec:
    """The X-Berth-Exec header's JSON; HttpError 400 naming the bad field."""
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        raise HttpError(400, "X-Berth-Exec must be a JSON object") from None
    if not isinstance(raw, dict):
        raise HttpError(400, "X-Berth-Exec must be a JSON object")
    unknown = set(raw) - {"argv", "command", "pty", "rows", "cols", "env"}
    if unknown:
        raise HttpError(400, f"unknown exec fields: {', '.join(sorted(unknown))[:200]}")
    argv, command, pty = raw.get("argv"), raw.get("command"), raw.get("pty", False)
    if argv is not None and not (
        isinstance(argv, list) and argv and all(isinstance(a, str) and "\0" not in a for a in argv)
    ):
        raise HttpError(400, "argv must be a non-empty list of strings")
    if command is not None and not (isinstance(command, str) and "\0" not in command):
        raise HttpError(400, "command must be a string")
    if not isinstance(pty, bool):
        raise HttpError(400, "pty must be true or false")
    rows, cols = _size(raw, "rows", 24), _size(raw, "cols", 80)
    env = raw.get("env", {})
    if not (isinstance(env, dict) and all(_valid_env(k, v) for k, v in env.items())):
        raise HttpError(400, "env must map names (no '=' or NUL) to strings")
    return ExecSpec(argv, command, pty, rows, cols, env)


def _size(raw: dict[str, object], name: str, default: int) -> int:
    value = raw.get(name, default)
    # 0 is what SSH clients send when they do not know: take the default then.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_ROWS_COLS:
        raise HttpError(400, f"{name} must be an integer 0-{_MAX_ROWS_COLS}")
    return value or default


def _valid_env(name: object, value: object) -> bool:
    return isinstance(name, str) and isinstance(value, str) and bool(name) and "=" not in name \
        and "\0" not in name + value


class ExecService:
    """Starts exec sessions as the workspace user. Processes are registered with the workspace's launcher,
    so a workspace shutdown ends them like every task."""

    def __init__(self, workspace: Workspace, launcher: Launcher, reaper: Reaper) -> None:
        self._workspace = workspace
        self._launcher = launcher
        self._reaper = reaper
        config = workspace.config
        # Resolved once: the user was resolved at start (main) and cannot vanish from a running container.
        self._identity = resolve(config.user)
        self._credentials = credentials_for(self._identity)
        berth = {"BERTH_WORKSPACE_ID": config.workspace_id, "BERTH_INSTANCE_ID": config.instance_id}
        self._env = process_env(container_env(os.environ), self._identity, config.env, berth)

    async def serve(self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if request.method != "POST":
            raise HttpError(405, "/_berth/exec answers POST only", {"Allow": "POST"})
        if self._workspace.stopping:
            raise HttpError(503, "the workspace is stopping")
        spec = parse_spec(request.headers.get("x-berth-exec", ""))
        session = self._start(spec)
        self._workspace.touch()
        try:
            writer.write(SWITCHING)
            await writer.drain()
            await session.run(reader, writer)
        finally:
            session.close()

    def argv(self, spec: ExecSpec) -> list[str]:
        shell = self._identity.shell
        if spec.argv is not None:
            return list(spec.argv)
        if spec.command is not None:
            return [shell, "-c", spec.command]
        return [shell, "-l"]

    def _start(self, spec: ExecSpec) -> _Session:
        argv = self.argv(spec)
        env = {**self._env, **spec.env}
        cwd = self._workspace.working_dir()
        ours: list[int] = []  # the parent's ends
        theirs: list[int] = []  # the child's ends, closed here once it has them
        try:
            if spec.pty:
                master, slave = os.openpty()
                ours.append(master)
                theirs.append(slave)
                _set_size(slave, spec.rows, spec.cols)
                stdio = (slave, slave, slave)
                # The terminal becomes the child's controlling terminal (job control, ^C), which takes one
                # ioctl in the child after setsid: the one thing Popen's C-level arguments cannot do.
                preexec: Callable[[], None] | None = _take_terminal
            else:
                pipes = [os.pipe() for _ in range(3)]
                stdio = (pipes[0][0], pipes[1][1], pipes[2][1])
                ours += [pipes[0][1], pipes[1][0], pipes[2][0]]
                theirs += list(stdio)
                preexec = None
            popen = subprocess.Popen(
                argv,
                stdin=stdio[0],
                stdout=stdio[1],
                stderr=stdio[2],
                cwd=cwd,
                env=env,
                start_new_session=True,
                close_fds=True,
                preexec_fn=preexec,
                user=self._credentials.user,
                group=self._credentials.group,
                extra_groups=self._credentials.extra_groups,
            )
        except (OSError, subprocess.SubprocessError) as error:
            for fd in ours:
                os.close(fd)
            raise HttpError(422, f"cannot start {argv[0][:200]!r}: {error}") from None
        finally:
            for fd in theirs:
                os.close(fd)
        exited = self._reaper.watch(popen.pid)  # same loop step as the spawn (see Reaper.watch)
        exited.add_done_callback(lambda done: setattr(popen, "returncode", None if done.cancelled() else done.result()))
        self._launcher.groups.add(popen.pid)
        log.info("exec pid %d%s: %s", popen.pid, " (pty)" if spec.pty else "", argv[0])
        for fd in ours:
            os.set_blocking(fd, False)
        if spec.pty:
            return _Session(popen, exited, stdin=ours[0], outputs={STDOUT: ours[0]}, pty=True,
                            on_traffic=self._workspace.touch)
        return _Session(popen, exited, stdin=ours[0], outputs={STDOUT: ours[1], STDERR: ours[2]}, pty=False,
                        on_traffic=self._workspace.touch)


class _Session:
    def __init__(self, popen: subprocess.Popen[bytes], exited: asyncio.Future[int], *, stdin: int,
                 outputs: dict[int, int], pty: bool, on_traffic: Callable[[], None]) -> None:
        self._popen = popen  # held while the child runs (see processes.Child)
        self._exited = exited
        self._stdin: int | None = stdin
        self._outputs = outputs
        self._pty = pty
        self._touch = on_traffic
        self._fds = {stdin, *outputs.values()}

    @property
    def pid(self) -> int:
        return self._popen.pid

    async def run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        lock = asyncio.Lock()  # frames from the output pumps must not interleave mid-frame
        pumps = [asyncio.create_task(self._pump_output(kind, fd, writer, lock)) for kind, fd in self._outputs.items()]
        incoming = asyncio.create_task(self._pump_input(reader))
        try:
            waits: list[asyncio.Future[Any]] = [incoming, self._exited]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if not self._exited.done():
                # The client went away (or broke the protocol) while the process runs: hang it up.
                log.info("exec pid %d: the client left; SIGHUP", self.pid)
                self._hang_up()
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(OUTPUT_SETTLE):
                    await asyncio.gather(*pumps)
            code = self._exited.result()
            async with lock:
                writer.write(frame(EXIT, struct.pack(">i", code)))
                await writer.drain()
            log.info("exec pid %d: exit %d", self.pid, code)
        finally:
            for task in [*pumps, incoming]:
                task.cancel()
            await asyncio.gather(*pumps, incoming, return_exceptions=True)

    def _hang_up(self) -> None:
        signal_group(self.pid, signal.SIGHUP)
        loop = asyncio.get_running_loop()

        def kill_if_alive() -> None:
            if not self._exited.done():
                signal_group(self.pid, signal.SIGKILL)

        # Not awaited: the connection is gone, and the launcher's shutdown covers the group anyway.
        handle = loop.call_later(HANGUP_GRACE, kill_if_alive)
        self._exited.add_done_callback(lambda _: handle.cancel())

    async def _pump_output(self, kind: int, fd: int, writer: asyncio.StreamWriter, lock: asyncio.Lock) -> None:
        while data := await _read(fd):
            self._touch()
            async with lock:
                writer.write(frame(kind, data))
                await writer.drain()

    async def _pump_input(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                kind, length = HEADER.unpack(await reader.readexactly(HEADER.size))
                if length > MAX_FRAME:
                    log.warning("exec pid %d: a %d-byte frame; ending the session", self.pid, length)
                    return
                payload = await reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            self._touch()
            if kind == STDIN:
                await self._write_stdin(payload)
            elif kind == RESIZE and len(payload) == 4 and self._pty:
                rows, cols = struct.unpack(">HH", payload)
                with contextlib.suppress(OSError):
                    _set_size(self._outputs[STDOUT], rows, cols)  # the kernel sends SIGWINCH
            elif kind == SIGNAL and len(payload) == 1:
                with contextlib.suppress(ValueError):
                    signal_group(self.pid, signal.Signals(payload[0]))

    async def _write_stdin(self, data: bytes) -> None:
        fd = self._stdin
        if fd is None:
            return  # input already ended
        if not data:
            if self._pty:
                data = _EOF_CHAR
            else:
                self._stdin = None
                self._close(fd)
                return
        try:
            await _write(fd, data)
        except OSError as error:
            # The process closed its input (or ended): what is left to say to it is dropped, like a pipe's.
            if error.errno not in (errno.EPIPE, errno.EIO):
                raise

    def _close(self, fd: int) -> None:
        if fd in self._fds:
            self._fds.discard(fd)
            os.close(fd)

    def close(self) -> None:
        for fd in list(self._fds):
            self._close(fd)


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


async def _ready(fd: int, *, write: bool) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    (loop.add_writer if write else loop.add_reader)(fd, wake)
    try:
        await ready
    finally:
        (loop.remove_writer if write else loop.remove_reader)(fd)


async def _read(fd: int) -> bytes:
    """The next bytes from a non-blocking descriptor; b"" at the end (EIO is how a pty says so)."""
    while True:
        try:
            return os.read(fd, _CHUNK)
        except BlockingIOError:
            await _ready(fd, write=False)
        except OSError as error:
            if error.errno == errno.EIO:
                return b""
            raise


async def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            await _ready(fd, write=True)
