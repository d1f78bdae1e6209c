"""The event-sourced core through the real `berth` command and HTTP API, as a user drives it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from domain.workspace.events import InstanceRequested
from infra.store.sqlite import SqliteEventStore
from tests.e2e.berth_process import RunningBerth, berth, berth_json
from tests.factories import created, new_event, phase


async def seed(home: Path, workspaces: int) -> None:
    store = await SqliteEventStore(home / "berth.db").open()
    try:
        for index in range(workspaces):
            await store.append(f"workspace-w{index}", [created(f"w{index}"), new_event(InstanceRequested(
                instance_id="i1")), phase("i1", "preparing")], 0)
    finally:
        await store.close()


def test_up_serves_the_api_with_the_printed_token_and_stops_on_sigterm(tmp_path: Path) -> None:
    running = RunningBerth(tmp_path)
    try:
        assert running.announced["mode"] == "embedded"
        assert running.announced["dashboard_url"] == f"http://berth.localhost:{running.port}/"
        # The node agent registers the node first, then `berth up` makes the admin and its token.
        assert [e["type"] for e in running.get("/api/events").json()["events"]] == [
            "node.registered", "user.created", "user.token_issued"]
        assert running.get("/api/events", token="berth_wrong").status_code == 401
        problem = running.get("/api/events?limit=0")
        assert problem.status_code == 422
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["field"] == "limit"

        asyncio.run(seed(tmp_path, 3))
        page = running.get("/api/events?after=3&limit=4").json()["events"]
        assert [e["version"] for e in page] == [1, 2, 3, 1]
        assert page[0]["type"] == "workspace.created" and page[0]["stream_id"] == "workspace-w0"
        # The live projection catches up by itself.
        for _ in range(100):
            listed = running.get("/api/workspaces").json()["workspaces"]
            if len(listed) == 3:
                break
            asyncio.run(asyncio.sleep(0.05))
        assert sorted(w["id"] for w in listed) == ["w0", "w1", "w2"]
        assert {w["phase"] for w in listed} == {"preparing"}
    finally:
        assert "Application shutdown complete" in running.stop()


def test_every_up_prints_a_new_token_and_earlier_ones_stay_valid(tmp_path: Path) -> None:
    first = RunningBerth(tmp_path)
    first_token = first.token
    assert "Application shutdown complete" in first.stop()
    second = RunningBerth(tmp_path)
    try:
        assert second.token != first_token
        assert second.get("/api/events", token=first_token).status_code == 200
    finally:
        second.stop()


def test_replay_rebuilds_the_read_model_to_the_same_documents(tmp_path: Path) -> None:
    asyncio.run(seed(tmp_path, 5))
    first = berth_json(tmp_path, "replay", "workspaces")
    assert first == {"projection": "workspaces", "position": 15, "documents": 5}
    assert berth_json(tmp_path, "replay", "workspaces") == first


def test_replay_of_an_unknown_projection_names_the_known_ones(tmp_path: Path) -> None:
    done = berth(tmp_path, "replay", "nope")
    assert done.returncode == 1
    assert "no projection named 'nope'; known: workspaces" in done.stderr


def test_deadletters_lists_what_a_projection_parked(tmp_path: Path) -> None:
    async def seed_garbage() -> None:
        store = await SqliteEventStore(tmp_path / "berth.db").open()
        good = created("x")
        from infra.store.records import NewEvent

        await store.append("workspace-x", [NewEvent(type=good.type, schema=good.schema, payload=b"\xff",
                                                    actor="t", correlation_id=good.correlation_id)], 0)
        await store.close()

    asyncio.run(seed_garbage())
    berth_json(tmp_path, "replay", "workspaces")
    (letter,) = berth_json(tmp_path, "deadletters", "list")["dead_letters"]
    assert letter["consumer"] == "projection:workspaces" and "not valid Avro" in letter["error"]
    table = berth(tmp_path, "deadletters", "list")
    assert "projection:workspaces" in table.stdout


def test_bad_settings_are_named(tmp_path: Path) -> None:
    done = berth(tmp_path, "deadletters", "list", BERTH_PORT="eighty")
    assert done.returncode == 1
    assert "BERTH_PORT" in done.stderr
    assert berth(tmp_path, "relay").returncode == 1
    assert "BERTH_MODE=distributed" in berth(tmp_path, "relay").stderr
    node_agent = berth(tmp_path, "node-agent")
    assert node_agent.returncode == 1 and "BERTH_MODE=distributed" in node_agent.stderr
