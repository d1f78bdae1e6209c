"""The SSH gateway with the real OpenSSH client, into a workspace run by a real supervisor."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess

from tests.integration.ssh.conftest import WORKSPACE, SshWorld, serve_once
from tests.integration.supervisor.running import free_port


async def test_a_command_runs_with_its_output_and_exit_code(world: SshWorld) -> None:
    status, out, err = await world.ssh("echo hello; echo oops >&2; pwd; exit 3")
    assert status == 3, err
    assert out.decode().splitlines() == ["hello", str(world.root / "workspace" / "repo")]
    assert b"oops" in err
    assert ("amber-otter-k3x9qa", "instance-1", "ssh") in world.activity.touches


async def test_stdin_reaches_the_command_and_its_end_is_passed_on(world: SshWorld) -> None:
    status, out, _ = await world.ssh("wc -c; echo done", stdin=b"x" * 100_000)
    assert status == 0
    assert out.decode().split() == ["100000", "done"]


async def test_a_shell_on_a_terminal(world: SshWorld) -> None:
    # -tt: a pty although our stdin is a pipe; the shell reads the lines as if typed.
    status, out, err = await world.ssh("-tt", stdin=b"stty size; tty; echo $((6 * 7)); exit 5\n")
    assert status == 5, err
    text = out.decode(errors="replace")
    assert "42" in text and "/dev/pts/" in text


async def test_a_forwarded_port_reaches_the_service_in_the_workspace(world: SshWorld) -> None:
    service, service_port = await serve_once(b"hello from the workspace")
    local = free_port()
    forward = await asyncio.create_subprocess_exec(
        "ssh", "-N", "-L", f"{local}:localhost:{service_port}", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o",
        "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-i", str(world.keys["alice"]), "-p", str(world.port),
        f"{WORKSPACE}@127.0.0.1", stderr=subprocess.PIPE, start_new_session=True)
    try:
        answer = b""
        async with asyncio.timeout(20):
            while not answer:
                with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                    reader, writer = await asyncio.open_connection("127.0.0.1", local)
                    writer.write(b"GET /through-ssh HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = await reader.read()
                    writer.close()
                if not answer:
                    await asyncio.sleep(0.1)
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert answer.endswith(b"hello from the workspace /through-ssh")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(forward.pid, signal.SIGTERM)
        await forward.wait()
        service.close()
        await service.wait_closed()


async def test_an_unknown_key_is_refused(world: SshWorld) -> None:
    status, out, err = await world.ssh("echo in", key="mallory")
    assert status == 255
    assert out == b""
    assert b"Permission denied" in err


async def test_another_users_key_or_token_is_refused(world: SshWorld) -> None:
    status, _, err = await world.ssh("echo in", key="bob")  # bob's key is registered, but for bob
    assert status == 255 and b"Permission denied" in err
    status, _, err = await world.ssh("echo in", key=None, password=world.tokens["bob"])
    assert status == 255 and b"Permission denied" in err


async def test_the_owners_token_works_as_the_password(world: SshWorld) -> None:
    status, out, err = await world.ssh("echo in", key=None, password=world.tokens["alice"])
    assert status == 0, err
    assert out == b"in\n"


async def test_an_unknown_workspace_is_refused_like_a_wrong_key(world: SshWorld) -> None:
    status, _, err = await world.ssh("echo in", user="no-such-workspace")
    assert status == 255 and b"Permission denied" in err


async def test_a_stopped_workspace_says_so(world: SshWorld) -> None:
    world.workspaces.docs[WORKSPACE] = {**world.workspaces.docs[WORKSPACE], "phase": "stopped"}
    status, _, err = await world.ssh("echo in")
    assert status == 1
    assert b"is stopped: start it first" in err
