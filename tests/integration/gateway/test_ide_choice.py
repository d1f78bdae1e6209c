"""The IDE choice through the API: per workspace (`ide` on create) and per user (`PUT /api/me/preferences`,
an event on the user's stream), shown on the workspace, and carried by the read models."""

from __future__ import annotations

import httpx

from domain.users.events import PreferencesChanged
from domain.workspace.events import WorkspaceCreated
from tests.integration.gateway.conftest import Berth, bearer

CONTEXT = "https://github.com/gitpod-io/empty"


async def _create(api: httpx.AsyncClient, token: str, **fields: object) -> httpx.Response:
    return await api.post("/api/workspaces", headers=bearer(token), json={"context_url": CONTEXT, **fields})


async def _created_event(berth: Berth, workspace_id: str) -> WorkspaceCreated:
    (first, *_) = await berth.platform.stores.events.read_stream(f"workspace-{workspace_id}")
    event = berth.platform.codec.decode(first.envelope.type, first.envelope.schema, first.payload)
    assert isinstance(event, WorkspaceCreated)
    return event


async def test_a_workspace_defaults_to_vscode_and_may_choose_none(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    default = await _create(api, alice)
    assert default.status_code == 201 and default.json()["ide"] == "vscode"
    none = await _create(api, alice, ide="none")
    assert none.status_code == 201 and none.json()["ide"] == "none"
    assert (await _created_event(berth, none.json()["id"])).ide == "none"
    await berth.project()
    shown = await api.get(f"/api/workspaces/{none.json()['id']}", headers=bearer(alice))
    assert shown.json()["ide"] == "none"
    listed = (await api.get("/api/workspaces", headers=bearer(alice))).json()["workspaces"]
    assert {w["id"]: w["ide"] for w in listed} == {default.json()["id"]: "vscode", none.json()["id"]: "none"}


async def test_a_bad_ide_is_refused_and_nothing_is_created(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    for bad in ("emacs", 3, ""):
        refused = await _create(api, alice, ide=bad)
        assert refused.status_code == 422 and refused.json()["field"] == "ide", refused.text
    await berth.project()
    assert (await api.get("/api/workspaces", headers=bearer(alice))).json()["workspaces"] == []


async def test_the_users_preference_is_the_default_until_the_request_says_otherwise(
        berth: Berth, api: httpx.AsyncClient) -> None:
    alice, bob = await berth.user_token("alice"), await berth.user_token("bob")
    assert (await api.get("/api/me/preferences", headers=bearer(alice))).json() == {"ide": None}
    put = await api.put("/api/me/preferences", headers=bearer(alice), json={"ide": "none"})
    assert put.status_code == 200 and put.json() == {"ide": "none"}
    # Read from the stream: the very next request sees it, before any projection ran.
    assert (await api.get("/api/me/preferences", headers=bearer(alice))).json() == {"ide": "none"}
    assert (await _create(api, alice)).json()["ide"] == "none"
    assert (await _create(api, alice, ide="vscode")).json()["ide"] == "vscode"
    assert (await _create(api, bob)).json()["ide"] == "vscode"  # alice's preference is hers

    events = await berth.platform.stores.events.read_stream("user-alice")
    changes = [e for e in events if e.envelope.type == PreferencesChanged.TYPE]
    assert len(changes) == 1
    again = await api.put("/api/me/preferences", headers=bearer(alice), json={"ide": "none"})
    assert again.json() == {"ide": "none"}
    assert len(await berth.platform.stores.events.read_stream("user-alice")) == len(events)  # no event

    await berth.project()
    me = (await api.get("/api/me", headers=bearer(alice))).json()
    assert me["preferences"] == {"ide": "none"}
    assert (await api.get("/api/me", headers=bearer(bob))).json()["preferences"] == {"ide": None}

    cleared = await api.put("/api/me/preferences", headers=bearer(alice), json={})
    assert cleared.json() == {"ide": None}
    assert (await _create(api, alice)).json()["ide"] == "vscode"


async def test_bad_preferences_are_refused(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    bad = await api.put("/api/me/preferences", headers=bearer(alice), json={"ide": "vim"})
    assert bad.status_code == 422 and bad.json()["field"] == "ide"
    unknown = await api.put("/api/me/preferences", headers=bearer(alice), json={"theme": "dark"})
    assert unknown.status_code == 422
    assert (await api.put("/api/me/preferences", json={"ide": "none"})).status_code == 401
