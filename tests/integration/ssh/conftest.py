"""A workspace reachable over SSH without the whole platform: a real supervisor (local process), the SSH
gateway in-process, real users, keys and tokens (events in a SQLite store, the users projection), and the
workspace document the gateway would read from the workspaces read model."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from domain.envelope import Cause
from domain.users.decider import CreateUser, UserDecider
from domain.users.names import user_stream
from domain.users.ssh_keys import AddSshKey, SshKeyDecider
from gateway.aggregates import execute
from gateway.auth.authenticator import Authenticator
from gateway.auth.tokens import issue_token
from gateway.ssh.access import SshBackend
from gateway.ssh.server import start_ssh_server
from infra.readmodel.contract import Doc
from infra.readmodel.sqlite import SqliteReadModelStore
from infra.store.sqlite import SqliteEventStore
from projections.runner import ProjectionRunner
from projections.users import UsersProjection
from schemas.codec import EventCodec
from tests.integration.supervisor.running import config_for, free_port, running

WORKSPACE = "amber-otter-k3x9qa"


@dataclass
class FakeWorkspaces:
    docs: dict[str, Doc]
    invalidated: list[str] = field(default_factory=list)

    async def get(self, workspace_id: str) -> Doc | None:
        return self.docs.get(workspace_id)

    def invalidate(self, workspace_id: str) -> None:
        self.invalidated.append(workspace_id)


@dataclass
class RecordedActivity:
    touches: list[tuple[str, str, str]] = field(default_factory=list)

    def touch(self, workspace_id: str, instance_id: str, source: str = "proxy") -> None:
        self.touches.append((workspace_id, instance_id, source))


@dataclass
class SshWorld:
    port: int
    keys: dict[str, Path]
    tokens: dict[str, str]
    activity: RecordedActivity
    workspaces: FakeWorkspaces
    root: Path

    async def ssh(self, *args: str, key: str | None = "alice", user: str = WORKSPACE, password: str | None = None,
                  stdin: bytes = b"", timeout: float = 30) -> tuple[int, bytes, bytes]:
        """Runs the real OpenSSH client; returns its exit status, stdout and stderr."""
        options = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                   "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-p", str(self.port)]
        env = {**os.environ}
        if key is not None:
            options += ["-i", str(self.keys[key]), "-o", "PasswordAuthentication=no", "-o", "BatchMode=yes"]
        else:
            # The password (a Berth token) comes from SSH_ASKPASS: how a non-interactive client types one.
            askpass = self.root / "askpass.sh"
            askpass.write_text(f"#!/bin/sh\necho '{password}'\n")
            askpass.chmod(0o700)
            options += ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
                        "-o", "NumberOfPasswordPrompts=1"]
            env.update(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
        process = await asyncio.create_subprocess_exec(
            "ssh", *options, f"{user}@127.0.0.1", *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, start_new_session=True)
        async with asyncio.timeout(timeout):
            out, err = await process.communicate(stdin)
        assert process.returncode is not None
        return process.returncode, out, err


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[SshWorld]:
    events = await SqliteEventStore(tmp_path / "berth.db").open()
    views = await SqliteReadModelStore(tmp_path / "berth.db").open()
    codec = EventCodec()
    cause = Cause("test")
    keys = {name: keygen(tmp_path / name) for name in ("alice", "bob", "mallory")}
    tokens: dict[str, str] = {}
    for name in ("alice", "bob"):
        await execute(events, codec, user_stream(name), UserDecider(), CreateUser(name, "user"), cause)
        public = (tmp_path / f"{name}.pub").read_text()
        await execute(events, codec, user_stream(name), SshKeyDecider(), AddSshKey(f"{name}-key", "", public), cause)
        tokens[name] = (await issue_token(events, codec, name, "ssh", cause)).token
    runner = ProjectionRunner(UsersProjection(), events, views, codec)
    config = config_for(tmp_path)
    activity = RecordedActivity()
    async with running(config, tmp_path) as supervisor:
        doc: dict[str, Any] = {"workspace_id": WORKSPACE, "owner": "alice", "phase": "running",
                               "supervisor_port": supervisor.port, "instance_id": "instance-1"}
        workspaces = FakeWorkspaces({WORKSPACE: doc})
        backend = SshBackend(workspaces, Authenticator(views, runner.catch_up), activity)
        port = free_port()
        acceptor = await start_ssh_server(backend, host="127.0.0.1", port=port, state_dir=tmp_path / "ssh")
        try:
            yield SshWorld(port, keys, tokens, activity, workspaces, tmp_path)
        finally:
            acceptor.close()
            await acceptor.wait_closed()
    await events.close()
    await views.close()


async def serve_once(text: bytes) -> tuple[asyncio.Server, int]:
    """A TCP service 'in the workspace' (the supervisor runs locally, so on this machine's loopback)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        body = text + b" " + request.split(b" ")[1]
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    sock: socket.socket = server.sockets[0]
    return server, sock.getsockname()[1]

