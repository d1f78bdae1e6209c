"""User environment variables end to end: set with the real `berth env` CLI, a workspace created from a real git
repository on the real Docker engine, and what every kind of process inside sees — a task, an SSH session
(the supervisor's exec) and the browser IDE's code-server — checked from inside the container. A change
applies on the next start; values never reach the event log or the server's log in plain text."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.berth_process import RunningBerth, berth, berth_json, cli
from tests.gitserver import BareRepo, GitDaemon, Seeded

pytestmark = pytest.mark.docker

# Shell-special characters and a newline: the value must arrive byte for byte, unexpanded.
SPECIFIC = "repo-only $HOME `id` 'q' \"dq\"\nsecond line"
EVERYWHERE = "for-every-repository-" + uuid.uuid4().hex
ELSEWHERE = "for-someone-else-" + uuid.uuid4().hex
SHOW = "for n in API_KEY SHARED OTHER; do printf '%s=<%s>\\n' \"$n\" \"${!n-unset}\"; done"
# The environment of the IDE's code-server process (it runs as the workspace user, like the SSH session),
# matched by the program's path at the start of its command line: this shell's own command line holds the
# pattern too, further in.
IDE_ENV = ("for p in /proc/[0-9]*; do "
           "if tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '^/.berth/ide/node/bin/node '; "
           "then tr '\\0' '\\n' < $p/environ; exit 0; fi; done; echo no-ide")


def key_pair(directory: Path) -> Path:
    key = directory / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def ssh(platform: RunningBerth, key: Path, workspace_id: str, command: str) -> str:
    done = subprocess.run(
        ["ssh", "-p", str(platform.ssh_port), "-i", str(key), "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
         f"{workspace_id}@localhost", command], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def env_cli(platform: RunningBerth, *args: str) -> Any:
    return berth_json(platform.home, "env", *args)


def phase_reasons(platform: RunningBerth, workspace_id: str, runs: int) -> list[str]:
    """The instance phase reasons of the workspace's events, up to its `runs`-th running phase."""
    reasons: list[str] = []
    with httpx.stream("GET", f"{platform.url}/api/workspaces/{workspace_id}/events",
                      headers={"Authorization": f"Bearer {platform.token}"},
                      timeout=httpx.Timeout(30, read=30)) as response:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            event = json.loads(line[5:])
            if event["type"] == "workspace.instance_phase_changed":
                reasons.append(f"{event['payload']['phase']}: {event['payload'].get('reason')}")
                if event["payload"]["phase"] == "running" and sum(r.startswith("running") for r in reasons) == runs:
                    return reasons
    raise AssertionError(f"the event stream ended early: {reasons}")


def test_the_most_specific_variable_reaches_every_process_and_a_change_applies_on_the_next_start(
        platform: RunningBerth, seeded: Seeded, git: GitDaemon, tmp_path: Path) -> None:
    owner = f"acme-{uuid.uuid4().hex[:6]}"
    BareRepo.create(seeded.root / owner / "app.git").commit("main", {
        ".gitpod.yml": f"tasks:\n  - before: |\n      {{ {SHOW}; }} > /workspace/task-env.txt\n",
        "README.md": "env vars\n"})

    assert env_cli(platform, "set", f"API_KEY={EVERYWHERE}")["repository_pattern"] == "*/*"
    assert env_cli(platform, "set", f"API_KEY={SPECIFIC}", "--repo", f"{owner.upper()}/app")[
        "repository_pattern"] == f"{owner}/app"
    env_cli(platform, "set", f"SHARED={EVERYWHERE}", "--repo", f"{owner}/*")
    env_cli(platform, "set", f"OTHER={ELSEWHERE}", "--repo", "someone-else/*")
    listed = env_cli(platform, "list")
    assert [(v["name"], v["repository_pattern"]) for v in listed] == [
        ("API_KEY", "*/*"), ("API_KEY", f"{owner}/app"), ("OTHER", "someone-else/*"), ("SHARED", f"{owner}/*")]
    table = berth(platform.home, "env", "list").stdout
    assert "API_KEY" in table and EVERYWHERE not in table and "repo-only" not in table

    key = key_pair(tmp_path)
    assert platform.http("POST", "/api/ssh-keys", json={"public_key": (tmp_path / "id.pub").read_text()}).is_success

    ws = cli(platform, "create", git.url(f"{owner}/app"))
    assert ws["phase"] == "running", ws
    workspace_id = ws["id"]
    expected = f"API_KEY=<{SPECIFIC}>\nSHARED=<{EVERYWHERE}>\nOTHER=<unset>\n"
    assert ssh(platform, key, workspace_id, SHOW) == expected  # an SSH session (the supervisor's exec)
    assert ssh(platform, key, workspace_id, "cat /workspace/task-env.txt") == expected  # a task
    ide = ssh(platform, key, workspace_id, IDE_ENV)  # the browser IDE, whose terminals inherit its environment
    assert ide != "no-ide\n", "the workspace should run code-server"
    ide_env = dict(line.split("=", 1) for line in ide.split("\n") if "=" in line and not line.startswith("second"))
    assert ide_env["API_KEY"] == SPECIFIC.split("\n")[0] and "second line" in ide
    assert ide_env["SHARED"] == EVERYWHERE and "OTHER" not in ide_env
    [creating] = [r for r in phase_reasons(platform, workspace_id, 1) if r.startswith("creating")]
    assert creating.endswith("environment: 2 user variables (API_KEY, SHARED)"), creating

    # Removing the repository's own value: the next start falls back to the */* one.
    assert berth(platform.home, "env", "unset", "API_KEY", "--repo", f"{owner}/app").returncode == 0
    assert cli(platform, "stop", workspace_id)["phase"] == "stopped"
    assert cli(platform, "start", workspace_id)["phase"] == "running"
    assert ssh(platform, key, workspace_id, SHOW) == f"API_KEY=<{EVERYWHERE}>\nSHARED=<{EVERYWHERE}>\nOTHER=<unset>\n"
    assert ssh(platform, key, workspace_id, "cat /workspace/task-env.txt").startswith(f"API_KEY=<{EVERYWHERE}>")

    # Never in plain text in the event log, nor in the server's log.
    with sqlite3.connect(platform.home / "berth.db") as database:
        tables = [row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table_name in tables:
            for row in database.execute(f'SELECT * FROM "{table_name}"'):
                text = " ".join(str(cell) for cell in row)
                for secret in (EVERYWHERE, ELSEWHERE, "repo-only"):
                    assert secret not in text, table_name
    log = platform.log_path.read_text()
    assert EVERYWHERE not in log and ELSEWHERE not in log and "repo-only" not in log
