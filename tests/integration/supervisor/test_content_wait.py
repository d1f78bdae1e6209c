"""The supervisor started before /workspace holds its content (the node agent copies it while the container
starts): it answers at once, runs nothing and writes nothing in /workspace until the content marker names its
instance, then starts the way the marker says."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.integration.supervisor.client import request, status
from tests.integration.supervisor.running import config_for, running
from tests.integration.supervisor.test_local_process import gitpod_task, task_phases
from tests.waiting import eventually


def write_marker(path: Path, instance_id: str, start_mode: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = {"incarnation": "abc", "source": "backup", "instance_id": instance_id, "start_mode": start_mode}
    path.write_text(json.dumps(marker) + "\n")


async def test_nothing_runs_until_the_marker_names_this_instance(tmp_path: Path) -> None:
    marker = tmp_path / "workspace" / ".berth" / "content-ready.json"
    config = config_for(tmp_path, content_ready=str(marker), tasks=[gitpod_task("task.txt")])
    workspace = Path(config["workspace_dir"])
    async with running(config, tmp_path) as supervisor:
        document = await status(supervisor.port)
        assert (document["content_ready"], document["ready"], task_phases(document)) == (False, False, ["pending"])
        # A marker restored with a backup names the instance that wrote it: not this one.
        write_marker(marker, "an-earlier-instance", "fresh")
        await asyncio.sleep(0.3)
        document = await status(supervisor.port)
        assert (document["content_ready"], task_phases(document)) == (False, ["pending"])
        assert not (workspace / ".berth" / "logs").exists(), "no log file is created under the copy"
        assert not (workspace / "task.txt").exists()

        # The content is complete, restored: the marker's start mode wins over the config's "fresh".
        write_marker(marker, config["instance_id"], "restart")
        await eventually(lambda: _phases(supervisor.port, ["command"]), within=20)
        document = await status(supervisor.port)
        assert (document["content_ready"], document["start_mode"], document["ready"]) == (True, "restart", True)
        await eventually(lambda: (workspace / "task.txt").exists())
        assert (workspace / "task.txt").read_text() == "before\ncommand hello dev\n", "init does not run on restart"

        async def logged() -> bool:
            return b"serving" in (await request(supervisor.port, "GET", "/_berth/tasks/0/log")).body

        await eventually(logged)
        assert b"serving" in (workspace / ".berth" / "logs" / "task-0.log").read_bytes(), "the log file is written"


async def test_a_shutdown_while_waiting_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "workspace" / ".berth" / "content-ready.json"
    config = config_for(tmp_path, content_ready=str(marker), tasks=[{"command": "touch ../task-ran"}])
    async with running(config, tmp_path) as supervisor:
        reply = (await request(supervisor.port, "POST", "/_berth/shutdown?grace=5")).json()
        assert [(task["phase"], task["stopped"], task["ended_in"]) for task in reply["tasks"]] == [
            ("done", True, "pending")
        ]
        write_marker(marker, config["instance_id"], "fresh")
        await asyncio.sleep(0.3)
        assert not (Path(config["workspace_dir"]) / "task-ran").exists()
        assert not (Path(config["workspace_dir"]) / ".berth" / "logs").exists()


async def _phases(port: int, expected: list[str]) -> bool:
    return task_phases(await status(port)) == expected
