"""The dashboard's stream: a user's workspace events and the image builds of their workspaces (from the image
streams, which name the workspace only in their build start), and nothing of anyone else's; and the history of
a start under way, which the stream continues without a gap or a repeat."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from domain.image.events import ImageBuildLog, ImageBuildStarted, ImageBuilt, image_stream
from domain.workspace.events import ImageRequested, InstanceRequested, WorkspaceCreated
from gateway.dashboard.stream import user_workspace_events
from tests.factories import created, new_event, phase
from tests.integration.gateway.conftest import Berth, bearer

KEY = "sha256:" + "ab" * 32
OTHER_KEY = "sha256:" + "cd" * 32


async def messages(chunks: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    async for chunk in chunks:
        text = chunk.decode()
        if not text.startswith("id: "):
            continue  # the retry line and keepalive comments
        fields = dict(line.split(": ", 1) for line in text.strip().split("\n"))
        yield {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}


async def test_the_stream_carries_the_users_builds_and_no_one_elses(berth: Berth) -> None:
    store, codec = berth.platform.stores.events, berth.platform.codec
    await store.append("workspace-mine-a1", [new_event(WorkspaceCreated(
        workspace_id="mine-a1", owner="alice", context_url="https://git.example/a/b"))], 0)
    await store.append("workspace-theirs-b2", [new_event(WorkspaceCreated(
        workspace_id="theirs-b2", owner="bob", context_url="https://git.example/a/b"))], 0)
    # A build under way before the page connected: its start is found on the image stream itself.
    await store.append(image_stream(KEY), [new_event(ImageBuildStarted(
        cache_key=KEY, workspace_id="mine-a1", instance_id="i-1"))], 0)
    head = await store.head_position()

    stream = messages(user_workspace_events(store, codec, berth.gateway.views, "alice", head, keepalive=0.2))
    await store.append(image_stream(OTHER_KEY), [
        new_event(ImageBuildStarted(cache_key=OTHER_KEY, workspace_id="theirs-b2", instance_id="i-9")),
        new_event(ImageBuildLog(lines=["bob's secret step"]))], 0)
    await store.append(image_stream(KEY), [new_event(ImageBuildLog(lines=["Step 1/2 : FROM base", "\x1b[1mok"])),
                                           new_event(ImageBuilt(image_id="sha256:1", tag="t", seconds=1.5))], 1)
    seen = [await asyncio.wait_for(anext(stream), 5) for _ in range(3)]
    assert [m["event"] for m in seen] == ["ready", "build", "build"]
    log, built = seen[1]["data"], seen[2]["data"]
    assert (log["type"], log["workspace_id"], log["instance_id"]) == ("image.build_log", "mine-a1", "i-1")
    assert log["payload"]["lines"] == ["Step 1/2 : FROM base", "\x1b[1mok"]
    assert built["type"] == "image.built" and seen[2]["id"] == await store.head_position()
    assert all("bob" not in json.dumps(m) for m in seen)


async def test_a_start_under_way_reads_from_its_first_build_line_then_the_stream_goes_on_without_a_gap(
        berth: Berth, api: httpx.AsyncClient) -> None:
    store, codec = berth.platform.stores.events, berth.platform.codec
    stream_id, workspace_id = "workspace-amber-otter-k3x9qa", "amber-otter-k3x9qa"
    await store.append(stream_id, [created(workspace_id, "alice"),
                                   new_event(InstanceRequested(instance_id="i-0")), phase("i-0", "failed", "no"),
                                   new_event(InstanceRequested(instance_id="i-1")), phase("i-1", "preparing"),
                                   new_event(ImageRequested(instance_id="i-1", spec="{}"))], 0)
    await store.append(image_stream(KEY), [
        new_event(ImageBuildStarted(cache_key=KEY, workspace_id=workspace_id, instance_id="i-1")),
        new_event(ImageBuildLog(lines=["first line"]))], 0)
    await berth.project()

    # The page: its stream first (from now), then, once the stream said `ready`, the history.
    stream = messages(user_workspace_events(store, codec, berth.gateway.views, "alice", None, keepalive=0.2))
    assert (await asyncio.wait_for(anext(stream), 5))["event"] == "ready"
    await store.append(image_stream(KEY), [new_event(ImageBuildLog(lines=["between the reads"]))], 2)
    answer = await api.get(f"/dashboard/history/{workspace_id}", headers=bearer(await berth.user_token("alice")))
    assert answer.status_code == 200, answer.text
    history = answer.json()
    await store.append(image_stream(KEY), [new_event(ImageBuildLog(lines=["last line"])),
                                           new_event(ImageBuilt(image_id="sha256:1", tag="t", seconds=1.5))], 3)
    live = [(await asyncio.wait_for(anext(stream), 5))["data"] for _ in range(3)]

    # This start only: the earlier instance's failure is not replayed into the panel.
    assert [e["type"] for e in history["workspace"]] == [
        "workspace.instance_requested", "workspace.instance_phase_changed", "workspace.image_requested"]
    assert history["workspace"][0]["payload"]["instance_id"] == "i-1"
    assert {e["instance_id"] for e in history["build"]} == {"i-1"}
    # What the panel shows: history, then the stream, each build event once (by position), in order.
    shown: dict[int, dict[str, Any]] = {}
    for event in [*history["build"], *live]:
        shown.setdefault(event["position"], event)
    lines = [line for _, e in sorted(shown.items()) if e["type"] == "image.build_log" for line in e["payload"]["lines"]]
    assert lines == ["first line", "between the reads", "last line"]
    assert list(shown.values())[-1]["type"] == "image.built"

    others = await api.get(f"/dashboard/history/{workspace_id}", headers=bearer(await berth.user_token("bob")))
    assert others.status_code == 404
    assert (await api.get(f"/dashboard/history/{workspace_id}")).status_code == 401
