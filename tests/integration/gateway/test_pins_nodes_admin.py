"""Pinning, the nodes list and the admins' list of every workspace, through the API on real stores."""

from __future__ import annotations

import httpx

from domain.node.decider import RegisterNode
from domain.workspace.events import InstancePhaseChanged
from handlers.runtime.handler import HandlerContext
from node_agent.registration import register_node
from tests.factories import new_event
from tests.integration.gateway.conftest import Berth, bearer
from tests.integration.gateway.test_workspaces_api import create

GiB = 1 << 30


async def test_pin_and_unpin_answer_the_workspace_and_append_only_changes(berth: Berth,
                                                                          api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    ws = await create(api, alice)
    assert ws["pinned"] is False
    url = f"/api/workspaces/{ws['id']}/pinned"
    for wish in (True, True, False, False, True):
        response = await api.put(url, headers=bearer(alice), json={"pinned": wish})
        assert response.status_code == 200, response.text
        assert response.json()["pinned"] is wish and response.json()["id"] == ws["id"]
    stream = await berth.platform.stores.events.read_stream(f"workspace-{ws['id']}")
    pins = [e for e in stream if e.envelope.type == "workspace.pin_changed"]
    assert len(pins) == 3 and {e.envelope.actor for e in pins} == {"alice"}
    await berth.project()
    shown = (await api.get(f"/api/workspaces/{ws['id']}", headers=bearer(alice))).json()
    assert shown["pinned"] is True
    listed = (await api.get("/api/workspaces", headers=bearer(alice))).json()["workspaces"]
    assert [w["pinned"] for w in listed] == [True]


async def test_pinning_someone_elses_or_a_missing_workspace_is_404(berth: Berth, api: httpx.AsyncClient) -> None:
    alice, bob = await berth.user_token("alice"), await berth.user_token("bob")
    ws = await create(api, alice)
    for token, workspace_id in ((bob, ws["id"]), (alice, "no-such-ws-aaaaaa"), (alice, "Not_An_Id")):
        response = await api.put(f"/api/workspaces/{workspace_id}/pinned", headers=bearer(token),
                                 json={"pinned": True})
        assert response.status_code == 404, (token, workspace_id)
        assert response.headers["content-type"].startswith("application/problem+json")
    stream = await berth.platform.stores.events.read_stream(f"workspace-{ws['id']}")
    assert "workspace.pin_changed" not in [e.envelope.type for e in stream]


async def test_a_bad_pin_body_is_422_naming_the_field(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    ws = await create(api, alice)
    url = f"/api/workspaces/{ws['id']}/pinned"
    for body, field in (({}, "pinned"), ({"pinned": "yes"}, "pinned"), ({"pinned": 1}, "pinned"),
                        ({"pinned": True, "forever": True}, "forever")):
        response = await api.put(url, headers=bearer(alice), json=body)
        assert response.status_code == 422, body
        assert response.json()["field"] == field
    response = await api.put(url, headers=bearer(alice), content=b"[true]")
    assert response.status_code == 422 and response.json()["field"] == "body"


async def test_nodes_are_for_admins_and_show_capacity_and_running(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    assert (await api.get("/api/nodes", headers=bearer(alice))).status_code == 403
    assert (await api.get("/api/nodes")).status_code == 401
    assert (await api.get("/api/nodes", headers=bearer(berth.admin_token))).json() == {"nodes": []}
    context = HandlerContext(berth.platform.stores.events, berth.platform.codec)
    await register_node(context, RegisterNode("node-b", 4, 16 * GiB, 6))
    await register_node(context, RegisterNode("node-a", 2, 8 * GiB, 3))
    await berth.project()
    nodes = (await api.get("/api/nodes", headers=bearer(berth.admin_token))).json()["nodes"]
    assert [n["name"] for n in nodes] == ["node-a", "node-b"]
    first = nodes[0]
    assert set(first) == {"name", "cpus", "memory_bytes", "capacity", "running", "registered_at"}
    assert (first["cpus"], first["memory_bytes"], first["capacity"], first["running"]) == (2, 8 * GiB, 3, 0)


async def test_admins_see_every_workspace_most_recently_updated_first(berth: Berth, api: httpx.AsyncClient) -> None:
    alice, bob = await berth.user_token("alice"), await berth.user_token("bob")
    first = await create(api, alice)
    second = await create(api, bob)
    # The first one changes last: it comes first.
    store = berth.platform.stores.events
    stream = f"workspace-{first['id']}"
    await store.append(stream, [new_event(InstancePhaseChanged(instance_id=str(first["instance_id"]),
                                                               phase="preparing"))],
                       len(await store.read_stream(stream)))
    await api.put(f"/api/workspaces/{first['id']}/pinned", headers=bearer(alice), json={"pinned": True})
    await berth.project()
    assert (await api.get("/api/admin/workspaces", headers=bearer(alice))).status_code == 403
    response = await api.get("/api/admin/workspaces", headers=bearer(berth.admin_token))
    assert response.status_code == 200
    shown = response.json()["workspaces"]
    assert [w["id"] for w in shown] == [first["id"], second["id"]]
    assert [(w["owner"], w["phase"], w["pinned"]) for w in shown] == [("alice", "preparing", True),
                                                                      ("bob", "pending", False)]
    assert all("node" in w for w in shown)  # admins see where an instance runs
    # The same documents as the admin's plain list, in another order.
    plain = (await api.get("/api/workspaces", headers=bearer(berth.admin_token))).json()["workspaces"]
    assert sorted(w["id"] for w in plain) == sorted(w["id"] for w in shown)
    assert {w["id"]: w for w in plain} == {w["id"]: w for w in shown}


async def test_the_new_routes_are_in_the_openapi_document(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/api/openapi.json")).json()["paths"]
    assert "put" in paths["/api/workspaces/{workspace_id}/pinned"]
    assert set(paths["/api/workspaces/{workspace_id}/pinned"]["put"]["responses"]) >= {"200", "404", "422"}
    assert set(paths["/api/nodes"]["get"]["responses"]) >= {"200", "403"}
    assert set(paths["/api/admin/workspaces"]["get"]["responses"]) >= {"200", "403"}
