"""The workspace API on real stores: commands through the domain decider, reads from the read model,
and nothing of another user's workspace visible."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import httpx
import pytest
from starlette.routing import Route

from domain.errors import StreamConflict
from domain.workspace.events import InstancePhaseChanged
from infra.store.records import NewEvent, StoredEvent
from tests.factories import new_event
from tests.integration.gateway.conftest import Berth, bearer

CONTEXT = "https://github.com/gitpod-io/empty"


async def create(api: httpx.AsyncClient, token: str, context_url: str = CONTEXT) -> dict[str, object]:
    response = await api.post("/api/workspaces", headers=bearer(token), json={"context_url": context_url})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def finish_instance(berth: Berth, workspace_id: str, phase: str = "stopped") -> None:
    """What the node agent appends when the instance ends."""
    store = berth.platform.stores.events
    stream = f"workspace-{workspace_id}"
    events = await store.read_stream(stream)
    instance = (await api_doc(berth, workspace_id))["instance_id"]
    await store.append(stream, [new_event(InstancePhaseChanged(instance_id=str(instance), phase=phase))],
                       len(events))


async def api_doc(berth: Berth, workspace_id: str) -> dict[str, object]:
    await berth.project()
    doc = await berth.platform.stores.views.get("workspaces", "workspaces", workspace_id)
    assert doc is not None
    return doc


async def test_create_appends_created_and_requested_and_answers_with_the_workspace(
        berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    response = await api.post("/api/workspaces", headers=bearer(alice),
                              json={"context_url": CONTEXT, "workspace_class": "large"})
    assert response.status_code == 201
    workspace = response.json()
    assert response.headers["location"] == f"/api/workspaces/{workspace['id']}"
    assert workspace["owner"] == "alice" and workspace["context_url"] == CONTEXT
    assert workspace["workspace_class"] == "large" and workspace["phase"] == "pending"
    assert workspace["url"] == f"http://{workspace['id']}.ws.localhost:{berth.platform.settings.port}/"
    assert "supervisor_port" not in workspace
    stream = await berth.platform.stores.events.read_stream(f"workspace-{workspace['id']}")
    assert [e.envelope.type for e in stream] == ["workspace.created", "workspace.instance_requested"]
    assert {e.envelope.actor for e in stream} == {"alice"}
    # The answer is what the read model shows once it caught up.
    fetched = (await api.get(f"/api/workspaces/{workspace['id']}", headers=bearer(alice))).json()
    assert fetched == workspace
    await berth.project()
    assert (await api.get(f"/api/workspaces/{workspace['id']}", headers=bearer(alice))).json() == workspace


@pytest.mark.parametrize("context_url", ["not a url", "ftp://example.com/o/r", "https://", ""])
async def test_an_invalid_context_url_is_422_naming_it_and_nothing_is_created(
        berth: Berth, api: httpx.AsyncClient, context_url: str) -> None:
    head = await berth.platform.stores.events.head_position()
    response = await api.post("/api/workspaces", headers=bearer(berth.admin_token), json={"context_url": context_url})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "context_url"
    assert await berth.platform.stores.events.head_position() == head


@pytest.mark.parametrize(("body", "field"), [({}, "context_url"), ({"context_url": 3}, "context_url"),
                                             ({"context_url": CONTEXT, "workspace_class": "No Spaces"},
                                              "workspace_class"),
                                             ({"context_url": CONTEXT, "color": "red"}, "color")])
async def test_bad_bodies_name_the_field(api: httpx.AsyncClient, berth: Berth, body: dict[str, object],
                                         field: str) -> None:
    response = await api.post("/api/workspaces", headers=bearer(berth.admin_token), json=body)
    assert response.status_code == 422 and response.json()["field"] == field


async def test_a_body_that_is_not_json_is_422(api: httpx.AsyncClient, berth: Berth) -> None:
    response = await api.post("/api/workspaces", headers=bearer(berth.admin_token), content=b"{nope")
    assert response.status_code == 422 and response.json()["field"] == "body"


async def test_users_list_their_own_admins_everyones_with_filters(berth: Berth, api: httpx.AsyncClient) -> None:
    alice, bob = await berth.user_token("alice"), await berth.user_token("bob")
    mine = await create(api, alice)
    theirs = await create(api, bob)
    await finish_instance(berth, str(theirs["id"]))
    await berth.project()

    async def ids(token: str, query: str = "") -> list[str]:
        response = await api.get(f"/api/workspaces{query}", headers=bearer(token))
        assert response.status_code == 200, response.text
        return [w["id"] for w in response.json()["workspaces"]]

    assert await ids(alice) == [mine["id"]]
    assert await ids(alice, "?owner=bob") == []
    assert sorted(await ids(berth.admin_token)) == sorted([str(mine["id"]), str(theirs["id"])])
    assert await ids(berth.admin_token, "?owner=bob") == [theirs["id"]]
    assert await ids(berth.admin_token, "?phase=stopped") == [theirs["id"]]
    assert await ids(berth.admin_token, "?phase=pending&owner=alice") == [mine["id"]]
    bad = await api.get("/api/workspaces?phase=sleeping", headers=bearer(alice))
    assert bad.status_code == 422 and bad.json()["field"] == "phase"
    admin_view = (await api.get(f"/api/workspaces/{mine['id']}", headers=bearer(berth.admin_token))).json()
    assert admin_view["owner"] == "alice"


async def test_another_users_workspace_is_404_for_every_route(berth: Berth, api: httpx.AsyncClient) -> None:
    alice, bob = await berth.user_token("alice"), await berth.user_token("bob")
    workspace_id = (await create(api, alice))["id"]
    await berth.project()
    base = f"/api/workspaces/{workspace_id}"
    head = await berth.platform.stores.events.head_position()
    for method, path, body in [("GET", base, None), ("POST", base + "/start", None), ("POST", base + "/stop", None),
                               ("DELETE", base, None), ("PATCH", base + "/ports/3000", {"visibility": "public"}),
                               ("GET", base + "/events", None), ("GET", base + "/logs", None)]:
        response = await api.request(method, path, headers=bearer(bob), json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["detail"] == f"there is no workspace {workspace_id!r}"
        missing = await api.request(method, path.replace(str(workspace_id), "amber-otter-zzzzzz"),
                                    headers=bearer(bob), json=body)
        assert missing.json() == response.json() | {"detail": "there is no workspace 'amber-otter-zzzzzz'"}
    assert await berth.platform.stores.events.head_position() == head  # nothing was written


async def test_racing_starts_one_wins_the_other_gets_409(berth: Berth, api: httpx.AsyncClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = berth.platform.stores.events
    refused: list[StreamConflict] = []
    append = store.append

    async def counting_append(stream_id: str, events: Sequence[NewEvent], expected_version: int) -> list[StoredEvent]:
        try:
            return await append(stream_id, events, expected_version)
        except StreamConflict as conflict:
            refused.append(conflict)
            raise

    monkeypatch.setattr(store, "append", counting_append)
    workspace_id = str((await create(api, berth.admin_token))["id"])
    busy = await api.post(f"/api/workspaces/{workspace_id}/start", headers=bearer(berth.admin_token))
    assert busy.status_code == 409  # the first instance is still pending
    await finish_instance(berth, workspace_id)
    for _ in range(5):
        starts = await asyncio.gather(*[api.post(f"/api/workspaces/{workspace_id}/start",
                                                 headers=bearer(berth.admin_token)) for _ in range(2)])
        assert sorted(r.status_code for r in starts) == [202, 409]
        winner = next(r for r in starts if r.status_code == 202).json()
        assert winner["phase"] == "pending"
        await finish_instance(berth, workspace_id)
    stream = await berth.platform.stores.events.read_stream(f"workspace-{workspace_id}")
    assert [e.envelope.type for e in stream].count("workspace.instance_requested") == 6
    assert refused, "the starts never raced: both decided on the same version, the store refused one"


async def test_stopping_twice_is_fine_and_stopping_a_stopped_workspace_is_200(
        berth: Berth, api: httpx.AsyncClient) -> None:
    workspace_id = str((await create(api, berth.admin_token))["id"])
    url = f"/api/workspaces/{workspace_id}/stop"
    first = await api.post(url, headers=bearer(berth.admin_token))
    assert first.status_code == 202 and first.json()["phase"] == "stopping"
    assert first.json()["reason"] == "stopped by admin"
    second = await api.post(url, headers=bearer(berth.admin_token))
    assert second.status_code == 202 and second.json()["phase"] == "stopping"
    await finish_instance(berth, workspace_id)
    third = await api.post(url, headers=bearer(berth.admin_token))
    assert third.status_code == 200 and third.json()["phase"] == "stopped"
    stream = await berth.platform.stores.events.read_stream(f"workspace-{workspace_id}")
    phases = [e.envelope.type for e in stream].count("workspace.instance_phase_changed")
    assert phases == 2  # one stopping (ours), one stopped (the node's)


async def test_deleting_a_running_workspace_says_so(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    active = str((await create(api, alice))["id"])
    deleted = await api.delete(f"/api/workspaces/{active}", headers=bearer(alice))
    assert deleted.status_code == 202
    assert deleted.json()["deleted"] is True and "removed by its node" in deleted.json()["cleanup"]
    last = (await berth.platform.stores.events.read_stream(f"workspace-{active}"))[-1]
    payload = berth.platform.codec.decode(last.envelope.type, last.envelope.schema, last.payload)
    assert last.envelope.type == "workspace.deleted" and "instance" in str(payload.model_dump()["reason"])
    assert (await api.get(f"/api/workspaces/{active}", headers=bearer(alice))).status_code == 404
    assert (await api.delete(f"/api/workspaces/{active}", headers=bearer(alice))).status_code == 404
    idle = str((await create(api, alice))["id"])
    await finish_instance(berth, idle)
    plain = await api.delete(f"/api/workspaces/{idle}", headers=bearer(alice))
    assert plain.status_code == 200 and plain.json()["cleanup"] is None
    await berth.project()
    assert (await api.get("/api/workspaces", headers=bearer(alice))).json()["workspaces"] == []


async def test_port_visibility(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    workspace_id = str((await create(api, alice))["id"])
    url = f"/api/workspaces/{workspace_id}/ports/3000"
    made = await api.patch(url, headers=bearer(alice), json={"visibility": "public"})
    assert made.status_code == 200
    assert made.json() == {"port": 3000, "name": None, "visibility": "public", "listening": False,
                           "url": f"http://3000-{workspace_id}.ws.localhost:{berth.platform.settings.port}/"}
    again = await api.patch(url, headers=bearer(alice), json={"visibility": "public"})
    assert again.json()["visibility"] == "public"
    stream = await berth.platform.stores.events.read_stream(f"workspace-{workspace_id}")
    assert [e.envelope.type for e in stream].count("workspace.port_visibility_changed") == 1
    bad = await api.patch(url, headers=bearer(alice), json={"visibility": "secret"})
    assert bad.status_code == 422 and bad.json()["field"] == "visibility"
    out_of_range = await api.patch(url.replace("3000", "70000"), headers=bearer(alice), json={"visibility": "public"})
    assert out_of_range.status_code == 422 and out_of_range.json()["field"] == "port"
    await berth.project()
    shown = (await api.get(f"/api/workspaces/{workspace_id}", headers=bearer(alice))).json()["ports"]
    assert [(p["port"], p["visibility"]) for p in shown] == [(3000, "public")]


async def test_the_openapi_document_describes_every_api_route(berth: Berth, api: httpx.AsyncClient) -> None:
    response = await api.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    served = set()
    for route in berth.app.routes:
        assert isinstance(route, Route)
        if route.path.startswith("/api/"):
            for method in route.methods or ():
                if method != "HEAD":
                    # Starlette's path converters (`{port:int}`) are not part of the documented path.
                    served.add((re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path), method))
    assert served == documented
    operation = document["paths"]["/api/workspaces"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateWorkspace"}
    for operations in document["paths"].values():
        for described in operations.values():
            for reply in described["responses"].values():
                for media in reply.get("content", {}).values():
                    ref = media.get("schema", {}).get("$ref")
                    if ref:
                        assert ref.removeprefix("#/components/schemas/") in document["components"]["schemas"]


async def test_health_and_the_global_log_keep_working(berth: Berth, api: httpx.AsyncClient) -> None:
    health = await api.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    page = await api.get("/api/events?limit=1", headers=bearer(berth.admin_token))
    assert [e["type"] for e in page.json()["events"]] == ["user.created"]
    assert (await api.get("/api/events?limit=0", headers=bearer(berth.admin_token))).json()["field"] == "limit"
    alice = await berth.user_token("alice")
    assert (await api.get("/api/events", headers=bearer(alice))).status_code == 403


async def test_min_version_reads_past_a_read_model_that_lags(berth: Berth, api: httpx.AsyncClient) -> None:
    """A client that saw an event on the workspace's stream asks for at least its version and gets it, even
    before the read model folded it (the CLI does so after following a start to `running`)."""
    alice = await berth.user_token("alice")
    workspace = await create(api, alice)
    await berth.project()
    await finish_instance(berth, str(workspace["id"]), "failed")  # appended, not projected yet
    one = f"/api/workspaces/{workspace['id']}"
    lagging = (await api.get(one, headers=bearer(alice))).json()
    assert lagging["phase"] == "pending"
    caught_up = (await api.get(one, headers=bearer(alice), params={"min_version": lagging["version"] + 1})).json()
    assert caught_up["phase"] == "failed" and caught_up["version"] == lagging["version"] + 1
    bad = await api.get(one, headers=bearer(alice), params={"min_version": "x"})
    assert bad.status_code == 422 and bad.json()["field"] == "min_version"
