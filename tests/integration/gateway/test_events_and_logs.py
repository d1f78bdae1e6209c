"""Server-sent events of a workspace (stored, then live) and its logs (image build, task output)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.image.events import ImageBuildLog, ImageBuildStarted, ImageBuilt, image_stream
from domain.workspace.events import ImageReady, ImageRequested
from tests.factories import new_event
from tests.integration.gateway.conftest import Berth, bearer, free_port, serving
from tests.integration.gateway.workspaces import running_workspace
from tests.waiting import eventually


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """Parse a text/event-stream into {id, event, data} dicts (comments and retry lines skipped)."""
    current: dict[str, Any] = {}
    async for line in lines:
        if not line:
            if "data" in current:
                yield current
            current = {}
        elif line.startswith("id: "):
            current["id"] = int(line[4:])
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])


async def test_sse_delivers_stored_then_live_events_and_ends_when_the_client_goes(
        berth: Berth, served: str) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=10) as client:
        created = await client.post("/api/workspaces", headers=bearer(berth.admin_token),
                                    json={"context_url": "https://github.com/o/r"})
        workspace_id = created.json()["id"]
        async with client.stream("GET", f"/api/workspaces/{workspace_id}/events?after=0",
                                 headers=bearer(berth.admin_token)) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse_events(response.aiter_lines())
            first, second = [await asyncio.wait_for(anext(events), 5) for _ in range(2)]
            assert (first["id"], first["event"]) == (1, "workspace.created")
            assert first["data"]["payload"]["context_url"] == "https://github.com/o/r"
            assert first["data"]["actor"] == "admin" and first["data"]["version"] == 1
            assert (second["id"], second["event"]) == (2, "workspace.instance_requested")
            stop = await client.post(f"/api/workspaces/{workspace_id}/stop", headers=bearer(berth.admin_token))
            assert stop.status_code == 202
            live = await asyncio.wait_for(anext(events), 5)
            assert live["id"] == 3 and live["event"] == "workspace.instance_phase_changed"
            assert live["data"]["payload"]["phase"] == "stopping"
            assert berth.gateway.live_streams == 1
        # The client went away: the server ends the stream (and stops waiting on the store for it).
        await eventually(lambda: berth.gateway.live_streams == 0, within=5)


async def test_sse_resumes_after_a_version_and_ends_with_the_deletion(berth: Berth, served: str) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=10) as client:
        created = await client.post("/api/workspaces", headers=bearer(berth.admin_token),
                                    json={"context_url": "https://github.com/o/r"})
        workspace_id = created.json()["id"]
        await client.post(f"/api/workspaces/{workspace_id}/stop", headers=bearer(berth.admin_token))
        for headers, query in (({}, "?after=2"), ({"Last-Event-ID": "2"}, "")):
            async with client.stream("GET", f"/api/workspaces/{workspace_id}/events{query}",
                                     headers={**bearer(berth.admin_token), **headers}) as response:
                events = sse_events(response.aiter_lines())
                resumed = await asyncio.wait_for(anext(events), 5)
                assert (resumed["id"], resumed["event"]) == (3, "workspace.instance_phase_changed")
        async with client.stream("GET", f"/api/workspaces/{workspace_id}/events?after=3",
                                 headers=bearer(berth.admin_token)) as response:
            deleted = await client.delete(f"/api/workspaces/{workspace_id}", headers=bearer(berth.admin_token))
            assert deleted.status_code == 202
            # The deletion is the stream's last word: the server ends the response after it.
            got = [event async for event in sse_events(response.aiter_lines())]
        assert [(e["id"], e["event"]) for e in got] == [(4, "workspace.deleted")]
        gone = await client.get(f"/api/workspaces/{workspace_id}/events", headers=bearer(berth.admin_token))
        assert gone.status_code == 404


async def test_the_build_log_comes_from_the_image_stream_of_this_instance(berth: Berth,
                                                                          api: httpx.AsyncClient) -> None:
    created = await api.post("/api/workspaces", headers=bearer(berth.admin_token),
                             json={"context_url": "https://github.com/o/r"})
    workspace_id, instance_id = created.json()["id"], created.json()["instance_id"]
    store = berth.platform.stores.events
    key = "sha256:" + "ab" * 32
    await store.append(f"workspace-{workspace_id}",
                       [new_event(ImageRequested(instance_id=instance_id, spec="{}"))], 2)
    # Another instance's build of the same key comes first in the image stream; it is not ours.
    await store.append(image_stream(key), [
        new_event(ImageBuildStarted(cache_key=key, workspace_id="other-ws-aaaaaa", instance_id="x")),
        new_event(ImageBuildLog(lines=["not ours"])),
        new_event(ImageBuildStarted(cache_key=key, workspace_id=workspace_id, instance_id=instance_id)),
        new_event(ImageBuildLog(lines=["Step 1/2 : FROM base", "Step 2/2 : RUN make"])),
    ], 0)
    logs = await api.get(f"/api/workspaces/{workspace_id}/logs", headers=bearer(berth.admin_token))
    assert logs.status_code == 200
    assert logs.json()["build"] == {"cache_key": key, "status": "building",
                                    "lines": ["Step 1/2 : FROM base", "Step 2/2 : RUN make"]}
    await store.append(image_stream(key), [new_event(ImageBuilt(image_id="sha256:1", tag="t", seconds=1.0))], 4)
    await store.append(f"workspace-{workspace_id}", [new_event(ImageReady(
        instance_id=instance_id, image="sha256:1", cache_key=key, cache_hit=False))], 3)
    built = (await api.get(f"/api/workspaces/{workspace_id}/logs", headers=bearer(berth.admin_token))).json()
    assert built["build"]["status"] == "built" and built["instance_id"] == instance_id
    assert len(built["build"]["lines"]) == 2


@contextlib.asynccontextmanager
async def supervisor_logs() -> AsyncIterator[int]:
    """A loopback HTTP server answering the supervisor's log endpoint the way the supervisor does."""
    output = b"installing...\ndone\n"

    async def task_log(request: Request) -> Response:
        if request.path_params["index"] != "0":
            return Response("no such task", status_code=404)
        offset = int(request.query_params.get("offset", "0"))
        return Response(output[offset:], media_type="application/octet-stream",
                        headers={"X-Log-Size": str(len(output)), "X-Log-Offset": str(offset), "X-Log-Ended": "true"})

    port = free_port()
    async with serving(Starlette(routes=[Route("/_berth/tasks/{index}/log", task_log)]), port):
        yield port


async def test_task_output_is_read_from_the_supervisor(berth: Berth, api: httpx.AsyncClient) -> None:
    async with supervisor_logs() as supervisor_port:
        await running_workspace(berth.platform.stores.events, "busy-bee-aaaaaa", "admin", supervisor_port, [])
        await berth.project()
        url = "/api/workspaces/busy-bee-aaaaaa/logs"
        log = await api.get(url + "?task=0&offset=14", headers=bearer(berth.admin_token))
        assert log.status_code == 200 and log.content == b"done\n"
        assert log.headers["x-log-size"] == "19" and log.headers["x-log-ended"] == "true"
        missing = await api.get(url + "?task=3", headers=bearer(berth.admin_token))
        assert missing.status_code == 404
        bad = await api.get(url + "?offset=3", headers=bearer(berth.admin_token))
        assert bad.status_code == 422 and bad.json()["field"] == "offset"
    gone = await api.get(url + "?task=0", headers=bearer(berth.admin_token))
    assert gone.status_code == 503
