"""A workspace's life in distributed mode, every part a real process as an operator runs them: the gateway
(`berth up` with BERTH_MODE=distributed: API, proxy and read models in PostgreSQL), `berth relay` publishing the
log to Kafka, the control-plane workers (`berth worker preparer|builder|scheduler`) and `berth node-agent` on the
real Docker engine. One set of processes serves the module; the schema, topics, containers and volumes it made
are removed afterwards, whatever happened."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import KAFKA_BOOTSTRAP, PG_DSN
from tests.e2e.berth_process import RunningBerth, cli, node_of, repository
from tests.e2e.distributed_processes import (
    BerthProcess,
    delete_topics,
    drop_pg_schema,
    new_pg_schema,
    remove_node_leftovers,
)
from tests.e2e.test_workspace_lifecycle import exec_in, through_proxy
from tests.gitserver import GitDaemon, Seeded

pytestmark = pytest.mark.docker

WORKERS = ("preparer", "builder", "scheduler")


@dataclass
class Distributed:
    gateway: RunningBerth
    processes: list[BerthProcess]
    node: str

    def check_alive(self) -> None:
        for process in self.processes:
            process.check_alive()


@pytest.fixture(scope="module")
def distributed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Distributed]:
    home = tmp_path_factory.mktemp("berth-distributed")
    node = node_of(home)
    schema = new_pg_schema()
    prefix = f"e2e{uuid.uuid4().hex[:10]}.berth."
    # One home for every process: as on one host, the gateway and the node agent share the secrets key.
    env = {"BERTH_MODE": "distributed", "BERTH_PG_DSN": PG_DSN, "BERTH_PG_SCHEMA": schema,
           "BERTH_KAFKA_BOOTSTRAP": KAFKA_BOOTSTRAP, "BERTH_KAFKA_PREFIX": prefix, "BERTH_NODE": node}
    gateway: RunningBerth | None = None
    processes: list[BerthProcess] = []
    try:
        gateway = RunningBerth(home, **env)  # first: it creates the schema's tables before the others race to
        processes.append(BerthProcess(home, "relay", **env))
        processes.extend(BerthProcess(home, "worker", name, **env) for name in WORKERS)
        agent = BerthProcess(home, "node-agent", "--json", **env)
        processes.append(agent)
        running = Distributed(gateway, processes, node)
        _wait_for_registration(running, agent)
        yield running
    finally:
        try:
            if gateway is not None and gateway.process.poll() is None:
                for ws in gateway.get("/api/workspaces").json()["workspaces"]:
                    gateway.http("DELETE", f"/api/workspaces/{ws['id']}")
                _wait_for_no_containers(node)
        finally:
            codes = {process.name: process.stop() for process in processes}
            if gateway is not None:
                gateway.stop()
            remove_node_leftovers(node)
            drop_pg_schema(schema)
            delete_topics(prefix)
    # SIGTERM stops each one cleanly (an exception would exit 1).
    assert all(code == 0 for code in codes.values()), {p.name: p.log()[-3000:] for p in processes}


def _wait_for_registration(running: Distributed, agent: BerthProcess, within: float = 120.0) -> None:
    """The agent announces itself once the node is registered (it may build the supervisor first)."""
    deadline = time.monotonic() + within
    while '"node_agent": "started"' not in agent.log():
        running.check_alive()
        assert time.monotonic() < deadline, f"the node agent did not register within {within} s:\n{agent.log()}"
        time.sleep(0.2)


def _containers(label: str) -> list[str]:
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True,
                          check=True).stdout.split()


def _wait_for_no_containers(node: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while _containers(f"berth.node={node}") and time.monotonic() < deadline:
        time.sleep(0.3)


def test_a_workspace_runs_serves_its_port_and_keeps_work_across_a_restart(
    distributed: Distributed, seeded: Seeded, git: GitDaemon,
) -> None:
    platform = distributed.gateway
    marker = uuid.uuid4().hex
    url = repository(seeded, git, {
        ".gitpod.yml": f"tasks:\n  - init: echo {marker} > built.txt\n    command: python3 -m http.server 8000\n"
                       "ports:\n  - port: 8000\n    visibility: private\n",
    })
    ws = cli(platform, "create", url)
    distributed.check_alive()
    assert ws["phase"] == "running", ws
    workspace_id = ws["id"]
    assert _containers(f"berth.node={distributed.node}") == _containers(f"berth.workspace={workspace_id}")

    # The gateway routes by the workspaces read model (in PostgreSQL) to the supervisor the node agent started.
    page = through_proxy(platform, workspace_id, 8000, "/built.txt", token=platform.token)
    assert page.status_code == 200 and page.text.strip() == marker
    assert through_proxy(platform, workspace_id, 8000, "/built.txt").status_code == 401

    checkout = url.rsplit("/", 1)[-1].removesuffix(".git")
    exec_in(workspace_id, f"echo edited-{marker} > /workspace/{checkout}/mine.txt")
    stopped = cli(platform, "stop", workspace_id)
    assert stopped["phase"] == "stopped" and stopped["last_backup"]["bytes"] > 0, stopped
    assert _containers(f"berth.workspace={workspace_id}") == []

    restarted = cli(platform, "start", workspace_id)
    assert restarted["phase"] == "running" and restarted["content_source"] == "backup", restarted
    mine = through_proxy(platform, workspace_id, 8000, "/mine.txt", token=platform.token)
    assert mine.status_code == 200 and mine.text.strip() == f"edited-{marker}"
    distributed.check_alive()

