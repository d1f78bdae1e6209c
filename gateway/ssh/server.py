"""The SSH server: one `SshConnection` per client. The SSH user name is the workspace id; authentication
asks `SshBackend` whether the key or token belongs to the workspace's owner. After that, sessions go to
`session.run_session` and direct-tcpip channels (`ssh -L`) to a supervisor CONNECT tunnel."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable
from pathlib import Path

import asyncssh

from gateway.proxy.app import supervisor_token
from gateway.proxy.tunnel import TunnelError, open_tunnel
from gateway.ssh.access import SshBackend
from gateway.ssh.forwarding import TunnelSession
from gateway.ssh.hostkey import load_or_create_host_key
from gateway.ssh.session import WORKSPACE_EXTRA, run_session

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
LOGIN_TIMEOUT = 60.0
KEEPALIVE = 30.0
"""Seconds between keepalives: a client gone without a FIN is noticed (and its sessions hung up) in minutes."""


class SshConnection(asyncssh.SSHServer):
    def __init__(self, backend: SshBackend) -> None:
        self._backend = backend
        self._conn: asyncssh.SSHServerConnection | None = None
        self._workspace_id: str | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def begin_auth(self, username: str) -> bool:
        self._workspace_id = username
        return True  # always: even for an unknown workspace, so the answer never tells which ones exist

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return await self._allowed(username, self._backend.key_allowed(username, key.get_fingerprint("sha256")),
                                   "key " + key.get_fingerprint("sha256"))

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        return await self._allowed(username, self._backend.token_allowed(username, password), "token")

    async def _allowed(self, username: str, check: Awaitable[bool], what: str) -> bool:
        try:
            allowed = await check
        except Exception:
            log.exception("checking SSH credentials for %s failed", username)
            return False
        if allowed and self._conn is not None:
            self._conn.set_extra_info(**{WORKSPACE_EXTRA: username})
        log.info("ssh %s: %s %s", username, what, "accepted" if allowed else "refused")
        return allowed

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str,
                             orig_port: int) -> Awaitable[TunnelSession]:
        if dest_host not in LOOPBACK:
            # The workspace's own ports only, as the supervisor's CONNECT allows: never the network beyond it.
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED,
                                            f"only ports of the workspace (localhost) can be forwarded, "
                                            f"not {dest_host}")
        assert self._workspace_id is not None  # channels open only after authentication
        return self._forward(self._workspace_id, dest_port)

    async def _forward(self, workspace_id: str, port: int) -> TunnelSession:
        doc = await self._backend.workspaces.get(workspace_id)
        supervisor_port = None if doc is None else doc.get("supervisor_port")
        if doc is None or not isinstance(supervisor_port, int):
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, f"workspace {workspace_id} is not running")
        try:
            tunnel = await open_tunnel(supervisor_port, port, token=supervisor_token(doc))
        except TunnelError as error:
            self._backend.workspaces.invalidate(workspace_id)
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, str(error)) from None
        instance_id = str(doc.get("instance_id"))

        def touch() -> None:
            self._backend.activity.touch(workspace_id, instance_id, "ssh")

        touch()
        reader, writer = await asyncio.open_connection(sock=tunnel.sock)
        return TunnelSession(tunnel, reader, writer, touch)


async def start_ssh_server(backend: SshBackend, *, host: str, port: int, state_dir: Path) -> asyncssh.SSHAcceptor:
    """Listen for SSH on host:port; the host key lives in `state_dir` (e.g. `<berth home>/ssh`). Stop it with
    `acceptor.close()` then `await acceptor.wait_closed()`."""
    host_key = load_or_create_host_key(state_dir)

    async def handle(process: asyncssh.SSHServerProcess[bytes]) -> None:
        await run_session(backend, process)

    acceptor = await asyncssh.create_server(
        functools.partial(SshConnection, backend), host, port,
        server_host_keys=[host_key],
        process_factory=handle,
        encoding=None,  # bytes both ways: terminals and sftp are not text
        line_editor=False,  # the workspace's own terminal echoes and edits lines
        agent_forwarding=False,
        x11_forwarding=False,
        allow_scp=False,
        login_timeout=LOGIN_TIMEOUT,
        keepalive_interval=KEEPALIVE,
    )
    log.info("SSH gateway listening on %s:%d", host, port)
    return acceptor
