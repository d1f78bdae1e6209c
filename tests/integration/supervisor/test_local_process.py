"""The supervisor as a real local process with real tasks: phases, Gitpod's fresh/restart semantics,
devcontainer lifecycle order, logs by offset, ports, CONNECT tunnels, shutdown and reaping."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from tests.integration.supervisor.client import http_get_through, request, status, tunnel
from tests.integration.supervisor.running import REPO, config_for, free_port, running, start, stop
from tests.waiting import eventually

ECHO_SERVER = Path(__file__).with_name("echo_server.py")
PYTHON = shlex.quote(sys.executable)
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) \w+: ")


def task_phases(document: dict[str, Any]) -> list[str]:
    return [task["phase"] for task in document["tasks"]]


def gitpod_task(mark: str) -> dict[str, Any]:
    """A task whose steps leave files behind, showing which ran and that they share one shell."""
    return {
        "name": "app",
        "before": f"export GREETING=hello; echo before >> ../{mark}",
        "init": f"echo init $GREETING >> ../{mark}",
        "command": f"echo command $GREETING $APP_MODE >> ../{mark}; echo serving; exec sleep 60",
        "env": {"APP_MODE": "dev"},
    }


async def test_fresh_start_runs_lifecycle_then_before_init_command(tmp_path: Path) -> None:
    order = "lifecycle.txt"
    config = config_for(
        tmp_path,
        env={"SHARED": "${containerEnv:HOME}", "PATH": "/berth-extra/bin:${containerEnv:PATH}"},
        lifecycle=[
            {
                "hook": "postStartCommand",
                "command": {"kind": "exec", "argv": ["sh", "-c", f"echo postStart >> ../{order}"]},
            },
            {"hook": "onCreateCommand", "command": {"kind": "shell", "command": f"echo onCreate >> ../{order}"}},
            {
                "hook": "postCreateCommand",
                "command": {
                    "kind": "parallel",
                    "commands": {
                        "slow": {"kind": "shell", "command": f"sleep 0.3; echo postCreate-slow >> ../{order}"},
                        "fast": {"kind": "shell", "command": f"echo postCreate-fast >> ../{order}; echo to the log"},
                    },
                },
            },
            {"hook": "postAttachCommand", "command": {"kind": "shell", "command": f"echo postAttach >> ../{order}"}},
        ],
        tasks=[
            {**gitpod_task("task.txt"), "before": f"echo task >> ../{order}; " + gitpod_task("task.txt")["before"]},
            {"name": "broken", "init": "echo about to fail; exit 3", "command": "echo never"},
            {"name": "oneshot", "command": "echo $SHARED $BERTH_WORKSPACE_ID $BERTH_TASK_INDEX; pwd; echo $PATH"},
        ],
    )
    workspace = Path(config["workspace_dir"])
    async with running(config, tmp_path) as supervisor:
        await eventually(lambda: _phases(supervisor.port, ["command", "failed", "done"]), within=20)
        document = await status(supervisor.port)
        assert document["ready"]
        assert document["workspace_id"] == "amber-otter-k3x9qa" and document["instance_id"] == "instance-1"
        broken = document["tasks"][1]
        assert (broken["exit_code"], broken["ended_in"], broken["stopped"]) == (3, "init", False)
        assert document["tasks"][2]["exit_code"] == 0

        # Spec order, parallel commands both before postStart, postAttach never, tasks last.
        lines = (workspace / order).read_text().split()
        assert lines[0] == "onCreate" and set(lines[1:3]) == {"postCreate-slow", "postCreate-fast"}
        assert lines[3:] == ["postStart", "task"]
        hooks = {hook["hook"]: hook for hook in document["lifecycle"]}
        assert [hook["hook"] for hook in document["lifecycle"]] == [
            "onCreateCommand",
            "postCreateCommand",
            "postStartCommand",
            "postAttachCommand",
        ]
        assert [hooks[name]["state"] for name in hooks] == ["done", "done", "done", "skipped"]
        assert {command["name"]: command["state"] for command in hooks["postCreateCommand"]["commands"]} == {
            "slow": "done",
            "fast": "done",
        }
        # One shell per task: what `before` exported is seen by init and command.
        assert (workspace / "task.txt").read_text() == "before\ninit hello\ncommand hello dev\n"

        log = await request(supervisor.port, "GET", "/_berth/tasks/2/log")
        variables, cwd, path = log.text.splitlines()
        assert (variables, cwd) == (f"{os.environ['HOME']} amber-otter-k3x9qa 2", str(workspace / "repo"))
        # The login shell's profile may reset PATH; what the config added is still there.
        assert "/berth-extra/bin" in path.split(":")
        assert log.headers["x-log-ended"] == "true"
        hook_log = await request(supervisor.port, "GET", "/_berth/lifecycle/postCreateCommand/log")
        assert "[fast] to the log\n" in hook_log.text


async def _phases(port: int, expected: list[str]) -> bool:
    return task_phases(await status(port)) == expected


async def _ready(port: int) -> bool:
    return bool((await status(port))["ready"])


async def test_restart_skips_init(tmp_path: Path) -> None:
    config = config_for(tmp_path, start_mode="restart", tasks=[gitpod_task("task.txt")])
    async with running(config, tmp_path) as supervisor:
        await eventually(lambda: _ready(supervisor.port), within=20)
        assert task_phases(await status(supervisor.port)) == ["command"]
        await eventually(lambda: (Path(config["workspace_dir"]) / "task.txt").exists())
        assert (Path(config["workspace_dir"]) / "task.txt").read_text() == "before\ncommand hello dev\n"


async def test_phases_are_reported_while_steps_run(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    config = config_for(
        tmp_path,
        tasks=[
            {
                "before": f"while [ ! -e {gate}-1 ]; do sleep 0.05; done",
                "init": f"while [ ! -e {gate}-2 ]; do sleep 0.05; done",
                "command": "exec sleep 60",
            }
        ],
    )
    async with running(config, tmp_path) as supervisor:
        await eventually(lambda: _phases(supervisor.port, ["before"]))
        assert not (await status(supervisor.port))["ready"]
        (tmp_path / "gate-1").touch()
        await eventually(lambda: _phases(supervisor.port, ["init"]))
        assert not (await status(supervisor.port))["ready"]
        (tmp_path / "gate-2").touch()
        await eventually(lambda: _phases(supervisor.port, ["command"]))
        assert (await status(supervisor.port))["ready"]


async def test_log_reads_by_offset(tmp_path: Path) -> None:
    config = config_for(
        tmp_path,
        tasks=[
            {
                "command": "printf 'first line\\n'; read -t 30 < <(while [ ! -e ../go ]; do sleep 0.05; done; echo); "
                "printf 'second line\\n'"
            }
        ],
    )
    async with running(config, tmp_path) as supervisor:
        url = "/_berth/tasks/0/log"
        await eventually(lambda: _log_size(supervisor.port, url, 11))
        first = await request(supervisor.port, "GET", f"{url}?offset=0")
        assert first.body == b"first line\n"
        assert (first.headers["x-log-size"], first.headers["x-log-ended"]) == ("11", "false")
        (Path(config["workspace_dir"]) / "go").touch()
        await eventually(lambda: _log_size(supervisor.port, url, 23))
        rest = await request(supervisor.port, "GET", f"{url}?offset=11")
        assert (rest.body, rest.headers["x-log-offset"]) == (b"second line\n", "11")
        assert (await request(supervisor.port, "GET", f"{url}?offset=6")).body == b"line\nsecond line\n"
        # On disk too, for people and for the backup.
        assert (Path(config["log_dir"]) / "task-0.log").read_bytes() == b"first line\nsecond line\n"

        beyond = await request(supervisor.port, "GET", f"{url}?offset=24")
        assert beyond.status == 400 and "outside the log" in beyond.text
        assert (await request(supervisor.port, "GET", f"{url}?offset=x")).status == 400
        missing = await request(supervisor.port, "GET", "/_berth/tasks/1/log")
        assert missing.status == 404 and "has 1 tasks" in missing.text


async def _log_size(port: int, url: str, size: int) -> bool:
    return int((await request(port, "GET", url)).headers["x-log-size"]) >= size


async def test_ports_and_connect_tunnels(tmp_path: Path) -> None:
    http_port, echo_port, closed_port = free_port(), free_port(), free_port()
    config = config_for(
        tmp_path,
        tasks=[
            {
                "name": "web",
                "init": "echo served-through-connect > hello.txt",
                "command": f"exec {PYTHON} -m http.server {http_port} --bind 127.0.0.1",
            },
            {"name": "echo", "command": f"exec {PYTHON} {ECHO_SERVER} {echo_port}"},
        ],
    )
    async with running(config, tmp_path) as supervisor:

        async def listening() -> bool:
            ports = (await status(supervisor.port))["ports"]
            return http_port in ports and echo_port in ports

        await eventually(listening, within=20)
        ports = (await status(supervisor.port))["ports"]
        assert supervisor.port not in ports  # its own endpoint is not a workspace port
        assert (await status(supervisor.port))["activity_at"] is None

        async with tunnel(supervisor.port, f"127.0.0.1:{http_port}") as (head, reader, writer):
            assert head == b"HTTP/1.1 200 Connection Established\r\n\r\n"
            answer = await http_get_through(reader, writer, "/hello.txt")
        assert answer.startswith(b"HTTP/1.0 200") and answer.endswith(b"served-through-connect\n")
        first_activity = (await status(supervisor.port))["activity_at"]
        assert first_activity is not None

        # A raw stream both ways, then a half-close that the far end still answers.
        async with tunnel(supervisor.port, f"localhost:{echo_port}") as (head, reader, writer):
            assert head.startswith(b"HTTP/1.1 200 ")
            for message in (b"ping\n", b"\x00\xffbinary\r\n", b"x" * 200_000):
                writer.write(message)
                await writer.drain()
                async with asyncio.timeout(10):
                    assert await reader.readexactly(len(message)) == message
            writer.write_eof()
            async with asyncio.timeout(10):
                assert await reader.read() == b"bye\n"
        assert (await status(supervisor.port))["activity_at"] >= first_activity

        async with tunnel(supervisor.port, f"127.0.0.1:{closed_port}") as (head, reader, _):
            assert head.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")
            reason = (await reader.read()).decode()
            assert reason.startswith(f"nothing listens on port {closed_port}: 127.0.0.1:{closed_port} connection ref")
        async with tunnel(supervisor.port, "192.0.2.1:80") as (head, reader, _):
            assert head.startswith(b"HTTP/1.1 400 ")
            assert b"only ports of this workspace" in await reader.read()


async def test_requests_that_are_wrong(tmp_path: Path) -> None:
    async with running(config_for(tmp_path), tmp_path) as supervisor:
        unknown = await request(supervisor.port, "GET", "/nope")
        assert unknown.status == 404 and "no such endpoint: /nope" in unknown.text
        wrong = await request(supervisor.port, "GET", "/_berth/shutdown")
        assert (wrong.status, wrong.headers["allow"]) == (405, "POST")
        assert (await request(supervisor.port, "POST", "/_berth/shutdown?grace=-1")).status == 400
        assert (await request(supervisor.port, "POST", "/_berth/shutdown?grace=soon")).status == 400
        garbage = await request(supervisor.port, "GET", "/_berth/status HTTP/1.1\r\nbroken")
        assert garbage.status == 400
        document = await status(supervisor.port)
        assert document["ready"] and document["tasks"] == [] and not document["stopping"]


async def test_a_token_guards_every_request(tmp_path: Path) -> None:
    async with running(config_for(tmp_path, token="s3cret"), tmp_path) as supervisor:
        denied = await request(supervisor.port, "GET", "/_berth/status")
        assert denied.status == 401
        allowed = await request(supervisor.port, "GET", "/_berth/status", {"Authorization": "Bearer s3cret"})
        assert allowed.status == 200
        wrong = await request(supervisor.port, "GET", "/_berth/status", {"Authorization": "Bearer s3cre"})
        assert wrong.status == 401


async def test_shutdown_ends_every_process_gracefully_then_by_force(tmp_path: Path) -> None:
    config = config_for(
        tmp_path,
        tasks=[
            # Ends on SIGTERM, and leaves a mark that it saw it.
            {
                "name": "polite",
                "command": "trap 'echo term > ../polite.txt; exit 0' TERM; echo $$ > ../polite.pid; "
                "while :; do sleep 0.05; done",
            },
            # Notes SIGTERM and carries on, its background job ignores it: only SIGKILL after the grace ends them.
            {
                "name": "stubborn",
                "command": "trap 'echo term > ../stubborn.txt' TERM; (trap '' TERM; exec sleep 60) & "
                "echo $! > ../child.pid; "
                "while :; do sleep 0.05; done",
            },
            {"name": "quick", "command": "true"},
        ],
    )
    workspace = Path(config["workspace_dir"])
    async with running(config, tmp_path) as supervisor:
        await eventually(lambda: (workspace / "child.pid").exists() and (workspace / "polite.pid").exists())
        await eventually(lambda: _phases(supervisor.port, ["command", "command", "done"]))
        started = asyncio.get_running_loop().time()
        reply = await request(supervisor.port, "POST", "/_berth/shutdown?grace=1")
        took = asyncio.get_running_loop().time() - started
        assert reply.status == 200
        tasks = reply.json()["tasks"]
        assert [(task["phase"], task["stopped"]) for task in tasks] == [("done", True), ("done", True), ("done", False)]
        assert tasks[0]["exit_code"] == 0 and tasks[1]["exit_code"] == 128 + signal.SIGKILL
        # Asked first (both saw SIGTERM), forced only once the 1 s grace was over: the stubborn one ended by
        # SIGKILL no sooner than the grace allowed. (A hang is pytest-timeout's to catch.)
        assert (workspace / "polite.txt").read_text() == "term\n"
        assert (workspace / "stubborn.txt").read_text() == "term\n"
        assert took >= 1.0
        assert not Path(f"/proc/{(workspace / 'child.pid').read_text().strip()}").exists()
        document = await status(supervisor.port)
        assert document["stopping"]
        again = await request(supervisor.port, "POST", "/_berth/shutdown")
        assert again.json()["tasks"] == tasks


async def test_shutdown_before_tasks_start_runs_none(tmp_path: Path) -> None:
    config = config_for(
        tmp_path,
        lifecycle=[
            {"hook": "onCreateCommand", "command": {"kind": "shell", "command": "exec sleep 60"}},
            {"hook": "postStartCommand", "command": {"kind": "shell", "command": "touch ../post-start"}},
        ],
        tasks=[{"command": "touch ../task-ran"}],
    )
    async with running(config, tmp_path) as supervisor:
        await eventually(lambda: _hook_state(supervisor.port, 0, "running"))
        reply = (await request(supervisor.port, "POST", "/_berth/shutdown?grace=5")).json()
        assert [(hook["state"], hook["stopped"]) for hook in reply["lifecycle"]] == [("done", True), ("skipped", True)]
        assert [(task["phase"], task["stopped"], task["ended_in"]) for task in reply["tasks"]] == [
            ("done", True, "pending")
        ]
        assert not (Path(config["workspace_dir"]) / "task-ran").exists()
        assert not (Path(config["workspace_dir"]) / "post-start").exists()


async def _hook_state(port: int, index: int, state: str) -> bool:
    return bool((await status(port))["lifecycle"][index]["state"] == state)


async def test_a_failing_hook_skips_the_later_ones_but_not_the_tasks(tmp_path: Path) -> None:
    config = config_for(
        tmp_path,
        lifecycle=[
            {"hook": "onCreateCommand", "command": {"kind": "exec", "argv": ["no-such-program-here"]}},
            {"hook": "postStartCommand", "command": {"kind": "shell", "command": "true"}},
        ],
        tasks=[{"command": "echo ran"}],
    )
    async with running(config, tmp_path) as supervisor:
        await eventually(lambda: _phases(supervisor.port, ["done"]))
        document = await status(supervisor.port)
        first, second = document["lifecycle"]
        assert first["state"] == "failed" and "cannot start no-such-program-here" in first["reason"]
        assert (second["state"], second["reason"]) == ("skipped", "onCreateCommand failed")


async def test_orphans_are_reaped_and_sigterm_ends_the_supervisor(tmp_path: Path) -> None:
    config = config_for(
        tmp_path,
        tasks=[
            {
                "command": "(sleep 1 & echo $! > ../orphan.pid); trap 'echo bye; exit 0' TERM; "
                "while :; do sleep 0.05; done"
            }
        ],
    )
    workspace = Path(config["workspace_dir"])
    supervisor = await start(config, tmp_path)
    try:
        await eventually(lambda: (workspace / "orphan.pid").exists())
        orphan = Path(f"/proc/{(workspace / 'orphan.pid').read_text().strip()}")
        # The subshell exits at once, so `sleep` is re-parented to the supervisor (a child subreaper,
        # as PID 1 would be); when it ends, nobody but the supervisor can collect it.
        assert _parent(orphan) == supervisor.process.pid
        await eventually(lambda: not orphan.exists(), within=10)
        supervisor.process.send_signal(signal.SIGTERM)
        assert await supervisor.wait_exit() == 0
        stderr = supervisor.stderr()
        assert "stop signal: ending the workspace's processes" in stderr and "exiting" in stderr
        assert all(LOG_LINE.match(line) for line in stderr.splitlines()), stderr
        log = (Path(config["log_dir"]) / "task-0.log").read_text()
        assert log.endswith("bye\n")
    finally:
        await stop(supervisor)


def _parent(proc: Path) -> int:
    # The state and parent follow the command name, which is in parentheses and may hold spaces.
    return int((proc / "stat").read_text().rpartition(")")[2].split()[1])


async def test_an_invalid_config_exits_2_naming_the_field(tmp_path: Path) -> None:
    config = config_for(tmp_path, tasks=[{"command": 42}])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "supervisor",
        "serve",
        "--config",
        str(path),
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 2
    assert "tasks[0].command: must be a non-empty string, got the number 42" in stderr.decode()
