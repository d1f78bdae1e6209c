"""One SSH session (a shell, a command, or the sftp subsystem) run in the workspace through the supervisor's
exec endpoint: SSH channel data and requests become exec frames and back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import struct
from collections.abc import Callable

import asyncssh

from gateway.proxy.app import REACHABLE_PHASES, supervisor_token
from gateway.proxy.tunnel import TunnelError
from gateway.ssh.access import SshBackend
from gateway.ssh.exec_client import EXIT, SIGNAL, STDERR, STDIN, STDOUT, ExecRequest, ExecStream, open_exec

log = logging.getLogger(__name__)

WORKSPACE_EXTRA = "berth_workspace"
"""The connection's extra-info key holding the workspace id, set once the owner authenticated."""
_CHUNK = 1 << 16
# What a client may set in the session's environment (as sshd's usual AcceptEnv): locale only. TERM comes
# from the pty request.
_ACCEPTED_ENV = ("LANG", "LANGUAGE")
# Where Debian/Ubuntu and Fedora/Alpine keep OpenSSH's sftp server; VS Code and scp -s use the subsystem.
SFTP_COMMAND = ("for s in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/ssh/sftp-server; "
                "do [ -x \"$s\" ] && exec \"$s\"; done; echo 'no sftp-server in this workspace image' >&2; exit 127")


def exec_request(process: asyncssh.SSHServerProcess[bytes]) -> ExecRequest:
    term = process.get_terminal_type()
    cols, rows, _, _ = process.get_terminal_size()
    env = {name: value for name, value in _client_env(process).items()
           if name in _ACCEPTED_ENV or name.startswith("LC_")}
    if term:
        env["TERM"] = term
    command = process.command
    if process.subsystem is not None:
        command = SFTP_COMMAND if process.subsystem == "sftp" else "echo 'unknown subsystem' >&2; exit 127"
    return ExecRequest(command=command, pty=term is not None, rows=rows, cols=cols, env=env)


def _client_env(process: asyncssh.SSHServerProcess[bytes]) -> dict[str, str]:
    env: dict[str, str] = {}
    for name, value in process.env.items():
        with contextlib.suppress(UnicodeDecodeError):
            key = name.decode() if isinstance(name, bytes) else name
            env[key] = value.decode() if isinstance(value, bytes) else value
    return env


async def run_session(backend: SshBackend, process: asyncssh.SSHServerProcess[bytes]) -> None:
    workspace_id = str(process.get_extra_info(WORKSPACE_EXTRA))
    doc = await backend.workspaces.get(workspace_id)
    port = None if doc is None else doc.get("supervisor_port")
    if doc is None or doc.get("phase") not in REACHABLE_PHASES or not isinstance(port, int):
        state = "gone" if doc is None else f"{doc.get('phase') or 'not started'}"
        process.stderr.write(f"berth: workspace {workspace_id} is {state}: start it first\r\n".encode())
        process.exit(1)
        return
    try:
        stream = await open_exec(port, exec_request(process), token=supervisor_token(doc))
    except TunnelError as error:
        backend.workspaces.invalidate(workspace_id)  # a restarted workspace has a new supervisor port
        process.stderr.write(f"berth: {error}\r\n".encode())
        process.exit(1)
        return
    instance_id = str(doc.get("instance_id"))

    def touch() -> None:
        backend.activity.touch(workspace_id, instance_id, "ssh")

    touch()
    upstream = asyncio.create_task(_to_workspace(process, stream, touch))
    try:
        code = await _to_client(stream, process, touch)
    finally:
        upstream.cancel()
        await asyncio.gather(upstream, return_exceptions=True)
        # Closing before EXIT hangs the process up (the client went away, or the SSH connection broke).
        stream.close()
    # Exit statuses are one byte in SSH (sshd sends 128+N for a process killed by signal N, like ours).
    process.exit(255 if code is None else code & 0xFF)


async def _to_client(stream: ExecStream, process: asyncssh.SSHServerProcess[bytes],
                     touch: Callable[[], None]) -> int | None:
    while (received := await stream.next_frame()) is not None:
        kind, payload = received
        if kind == EXIT and len(payload) == 4:
            code: int = struct.unpack(">i", payload)[0]
            return code
        target = process.stdout if kind == STDOUT else process.stderr if kind == STDERR else None
        if target is None:
            continue
        try:
            target.write(payload)
            await target.drain()
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            return None  # the client is gone: the caller closes the stream, which hangs the process up
        touch()
    return None


async def _to_workspace(process: asyncssh.SSHServerProcess[bytes], stream: ExecStream,
                        touch: Callable[[], None]) -> None:
    while True:
        try:
            data = await process.stdin.read(_CHUNK)
        except asyncssh.TerminalSizeChanged as change:
            stream.resize(change.height, change.width)
            continue
        except asyncssh.SignalReceived as received:
            number = getattr(signal, f"SIG{received.signal}", None)
            if isinstance(number, signal.Signals):
                stream.send(SIGNAL, bytes([int(number)]))
            continue
        except asyncssh.BreakReceived:
            continue
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            stream.close()
            return
        stream.send(STDIN, data)  # b"": the end of input, passed on as such
        await stream.writer.drain()
        if not data:
            return
        touch()
