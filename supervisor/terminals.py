"""The tasks' terminals, kept so that people can look at and type into them (what Gitpod's task terminals are).

Each task runs on a pseudo-terminal (see `processes`); the supervisor keeps its master end and a ring of
the newest output (SCROLLBACK_BYTES) for as long as anything holds the terminal.

    GET  /_berth/terminals                   200 JSON [{"index", "name", "phase" (the task's), "rows", "cols",
                                             "pid": int|null (the task's process group; null before it started),
                                             "open": bool (takes input), "attached": int (clients now)}]
    POST /_berth/terminals/<i>/attach        101 (`Upgrade: berth-exec`), then frames as in `supervisor.exec`:
        supervisor → client  STDOUT  first the scrollback (one frame, if any), then live output
                             EXIT    i32 exit code of the task's shell, once nothing holds the terminal any
                                     more; then the connection closes (it closes without EXIT when the task
                                     never started)
        client → supervisor  STDIN   bytes typed into the terminal (an empty payload: ^D)
                             RESIZE  rows: u16, cols: u16 (TIOCSWINSZ, then SIGWINCH to the task's group)
                             SIGNAL  signal number: u8, to the task's process group
        Several clients may be attached at once; each gets all output. A client that goes away just
        detaches (the task keeps running); one that falls MAX_BEHIND bytes behind is disconnected.
    POST /_berth/terminals/<i>/write         the body (at most 64 KiB) as input → 204
    POST /_berth/terminals/<i>/resize?rows=R&cols=C  → 204
    404 for an unknown terminal, 409 when the terminal is not open (task not started, or ended), 400 for a
    bad size, 503 when input is not taken within WRITE_TIMEOUT. Input, resizes and signals update activity_at.

The terminal is not the task's controlling terminal (so a task's background jobs outlive its shell, as
before): ^C typed in it is a byte, not SIGINT; send a SIGNAL frame for that. Output keeps "\\n" as written
(the log stays plain text), so a terminal emulator should translate it (xterm.js: `convertEol`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import re
import signal
import struct
import termios
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

# The frame codec comes from `supervisor.exec`, imported where used: exec imports the workspace, which imports
# the tasks and so this module.
from supervisor.http import HttpError, Request, json_response, response
from supervisor.processes import Child, Launcher, _follow_output, signal_group

if TYPE_CHECKING:
    from supervisor.workspace import Workspace

log = logging.getLogger("terminals")

SCROLLBACK_BYTES = 64 * 1024
MAX_BEHIND = 4 << 20
"""Bytes of output an attached client may have queued before it is disconnected (a stalled reader must
not make the supervisor hold a task's output without bound)."""
WRITE_TIMEOUT = 5.0
EXIT_SETTLE = 1.0
INITIAL_ROWS, INITIAL_COLS = 40, 120  # what `processes` gives every terminal
MAX_ROWS_COLS = 10_000
_EOF_CHAR = b"\x04"
_PATH = re.compile(r"/_berth/terminals/(\d+)/(attach|write|resize)")
LIST_PATH = "/_berth/terminals"


class TerminalClosed(Exception):
    """The terminal takes no input: its task has not started, or nothing holds it any more."""


class _Client:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.behind = 0

    def put(self, data: bytes | None) -> None:
        if data is not None:
            self.behind += len(data)
        self.queue.put_nowait(data)

    async def get(self) -> bytes | None:
        data = await self.queue.get()
        if data is not None:
            self.behind -= len(data)
        return data


class Terminal:
    """One task's terminal: its master end, its scrollback and the clients attached to it."""

    def __init__(self, index: int, name: str | None, phase: Callable[[], str]) -> None:
        self.index = index
        self.name = name
        self._phase = phase
        self.rows, self.cols = INITIAL_ROWS, INITIAL_COLS
        self.pid: int | None = None
        self.exited: asyncio.Future[int] | None = None
        self.ended = False
        """Nothing holds the terminal any more (or the task never started): no more output or input."""
        self._master: int | None = None
        self._scrollback = bytearray()
        self._clients: set[_Client] = set()
        self._write_lock = asyncio.Lock()
        self._writing = False
        self._waiters: set[asyncio.Future[bool]] = set()

    @property
    def open(self) -> bool:
        return self._master is not None and not self.ended

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "name": self.name, "phase": self._phase(), "rows": self.rows,
                "cols": self.cols, "pid": self.pid, "open": self.open, "attached": len(self._clients)}

    def spawn(
        self,
        launcher: Launcher,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str,
        sink: Callable[[bytes], None],
        pass_fds: Sequence[int] = (),
    ) -> Child:
        """`Launcher.spawn`, keeping the terminal's master end for input and resizes (OSError as there)."""
        master, child = launcher.start_on_terminal(argv, env=env, cwd=cwd, pass_fds=pass_fds, echo=True)
        loop = asyncio.get_running_loop()
        exited = child.exited
        os.set_blocking(master, False)
        self._master, self.pid, self.exited = master, child.pid, exited
        # The reader gets its own descriptor and closes it at the end; ours stays until no write uses it.
        reading = os.dup(master)

        def feed(data: bytes) -> None:
            self._output(data)
            sink(data)

        _follow_output(loop, reading, feed, child.output_closed)
        child.output_closed.add_done_callback(lambda _: self.end())
        return child

    def _output(self, data: bytes) -> None:
        self._scrollback += data
        if len(self._scrollback) > SCROLLBACK_BYTES:
            del self._scrollback[: len(self._scrollback) - SCROLLBACK_BYTES]
        for client in list(self._clients):
            if client.behind + len(data) > MAX_BEHIND:
                log.warning("terminal %d: a client is %d bytes behind; detaching it", self.index, client.behind)
                self._clients.discard(client)
                client.put(None)
            else:
                client.put(data)

    def end(self) -> None:
        """No more output: detach every client; close the master once no write uses it."""
        if self.ended:
            return
        self.ended = True
        for client in self._clients:
            client.put(None)
        self._clients.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(False)
        if not self._writing:
            self._close_master()

    def _close_master(self) -> None:
        if self._master is not None:
            os.close(self._master)
            self._master = None

    def attach(self) -> tuple[bytes, _Client | None]:
        """The scrollback and a client that gets every later output (None when there will be none)."""
        if self.ended:
            return bytes(self._scrollback), None
        client = _Client()
        self._clients.add(client)
        return bytes(self._scrollback), client

    def detach(self, client: _Client) -> None:
        self._clients.discard(client)

    async def write(self, data: bytes) -> None:
        """Type `data` into the terminal (TerminalClosed when it is not open)."""
        async with self._write_lock:
            if not self.open:
                raise TerminalClosed(f"terminal {self.index} is not open")
            self._writing = True
            try:
                await self._write_all(data)
            finally:
                self._writing = False
                if self.ended:
                    self._close_master()

    async def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            fd = self._master
            if fd is None or self.ended:
                raise TerminalClosed(f"terminal {self.index} closed")
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                if not await self._writable(fd):
                    raise TerminalClosed(f"terminal {self.index} closed") from None
            except OSError as error:
                if error.errno in (errno.EIO, errno.EPIPE):
                    raise TerminalClosed(f"terminal {self.index} closed") from None
                raise

    async def _writable(self, fd: int) -> bool:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()

        def wake() -> None:
            if not waiter.done():
                waiter.set_result(True)

        loop.add_writer(fd, wake)
        self._waiters.add(waiter)
        try:
            return await waiter
        finally:
            loop.remove_writer(fd)  # before the descriptor can be closed: see `write`
            self._waiters.discard(waiter)

    def resize(self, rows: int, cols: int) -> None:
        if not (1 <= rows <= MAX_ROWS_COLS and 1 <= cols <= MAX_ROWS_COLS):
            raise ValueError(f"rows and cols must be 1-{MAX_ROWS_COLS}")
        if not self.open or self._master is None or self.pid is None:
            raise TerminalClosed(f"terminal {self.index} is not open")
        fcntl.ioctl(self._master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.rows, self.cols = rows, cols
        # Not the task's controlling terminal, so the kernel tells no process group: tell the task's.
        signal_group(self.pid, signal.SIGWINCH)

    def signal(self, signum: int) -> None:
        if self.pid is not None and not self.ended:
            with contextlib.suppress(ValueError):
                signal_group(self.pid, signal.Signals(signum))


class KeptBody:
    """A request reader that keeps the body `http.read_request` reads (and otherwise drops)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self.body = b""

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        return await self._reader.readuntil(separator)

    async def readexactly(self, n: int) -> bytes:
        self.body = await self._reader.readexactly(n)
        return self.body

    def as_reader(self) -> asyncio.StreamReader:
        return cast(asyncio.StreamReader, self)


def is_terminal_path(path: str) -> bool:
    return path == LIST_PATH or path.startswith(LIST_PATH + "/")


class TerminalService:
    """The `/_berth/terminals` endpoints (the contract is in this module's docstring)."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def terminals(self) -> list[Terminal]:
        return [runner.terminal for runner in self._workspace.tasks]

    async def serve(self, request: Request, body: bytes, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> bytes | None:
        """The answer, or None once an attached session ended (the connection was upgraded)."""
        if request.path == LIST_PATH:
            _allow(request, "GET")
            return json_response(200, [terminal.as_json() for terminal in self.terminals()])
        match = _PATH.fullmatch(request.path)
        if match is None:
            raise HttpError(404, f"no such endpoint: {request.path[:200]}")
        _allow(request, "POST")
        terminals = self.terminals()
        index = int(match.group(1))
        if index >= len(terminals):
            raise HttpError(404, f"no terminal {index}: the workspace has {len(terminals)} tasks")
        terminal = terminals[index]
        action = match.group(2)
        if action == "attach":
            await self._attach(terminal, reader, writer)
            return None
        self._workspace.touch()
        try:
            if action == "write":
                async with asyncio.timeout(WRITE_TIMEOUT):
                    await terminal.write(body)
            else:
                terminal.resize(_dimension(request, "rows"), _dimension(request, "cols"))
        except TerminalClosed as error:
            raise HttpError(409, str(error)) from None
        except TimeoutError:
            raise HttpError(503, f"terminal {index} took no input within {WRITE_TIMEOUT:g} s") from None
        except ValueError as error:
            raise HttpError(400, str(error)) from None
        return response(204)

    async def _attach(self, terminal: Terminal, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from supervisor.exec import STDOUT, SWITCHING, frame

        writer.write(SWITCHING)
        scrollback, client = terminal.attach()
        try:
            if scrollback:
                writer.write(frame(STDOUT, scrollback))
            await writer.drain()
            incoming = asyncio.create_task(self._pump_input(terminal, reader))
            try:
                if client is not None:
                    outgoing = asyncio.create_task(_pump_output(client, writer))
                    done, _ = await asyncio.wait([incoming, outgoing], return_when=asyncio.FIRST_COMPLETED)
                    if incoming in done:
                        return  # the client left (or broke the protocol): detach, the task runs on
                    outgoing.result()
                    if not terminal.ended:
                        return  # this client fell behind and was detached
                await _send_exit(terminal, writer)
            finally:
                incoming.cancel()
                await asyncio.gather(incoming, return_exceptions=True)
        finally:
            if client is not None:
                terminal.detach(client)

    async def _pump_input(self, terminal: Terminal, reader: asyncio.StreamReader) -> None:
        from supervisor.exec import HEADER, MAX_FRAME, RESIZE, SIGNAL, STDIN

        while True:
            try:
                kind, length = HEADER.unpack(await reader.readexactly(HEADER.size))
                if length > MAX_FRAME:
                    log.warning("terminal %d: a %d-byte frame; detaching the client", terminal.index, length)
                    return
                payload = await reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            self._workspace.touch()
            if kind == STDIN:
                with contextlib.suppress(TerminalClosed):
                    await terminal.write(payload or _EOF_CHAR)
            elif kind == RESIZE and len(payload) == 4:
                with contextlib.suppress(TerminalClosed, ValueError, OSError):
                    terminal.resize(*struct.unpack(">HH", payload))
            elif kind == SIGNAL and len(payload) == 1:
                terminal.signal(payload[0])


async def _pump_output(client: _Client, writer: asyncio.StreamWriter) -> None:
    from supervisor.exec import STDOUT, frame

    while (data := await client.get()) is not None:
        # Whatever else is queued by now goes in the same frame: fewer, larger writes for a chatty task.
        while not client.queue.empty():
            more = client.queue.get_nowait()
            if more is None:
                client.queue.put_nowait(None)
                break
            client.behind -= len(more)
            data += more
        writer.write(frame(STDOUT, data))
        await writer.drain()


async def _send_exit(terminal: Terminal, writer: asyncio.StreamWriter) -> None:
    from supervisor.exec import EXIT, frame

    if terminal.exited is None:
        return  # the task never started: no exit code to tell
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(EXIT_SETTLE):
            await asyncio.shield(terminal.exited)
    if terminal.exited.done() and not terminal.exited.cancelled():
        writer.write(frame(EXIT, struct.pack(">i", terminal.exited.result())))
        await writer.drain()


def _allow(request: Request, method: str) -> None:
    if request.method != method:
        raise HttpError(405, f"{request.path} answers {method} only", {"Allow": method})


def _dimension(request: Request, name: str) -> int:
    text = request.query.get(name, "")
    if not text.isdigit():
        raise HttpError(400, f"{name} must be an integer 1-{MAX_ROWS_COLS}, got {text[:50]!r}")
    return int(text)
