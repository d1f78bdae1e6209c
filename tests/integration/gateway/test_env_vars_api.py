"""`/api/env-vars` on a real gateway (SQLite stores): values go in, are sealed before they are recorded, and
never come out; names and patterns are listed at once; errors name the field."""

from __future__ import annotations

import httpx

from domain.users.env_vars import MAX_VALUE_BYTES, MAX_VARIABLES, EnvVarSet, SealedValue
from infra.secrets import env_var_context, secret_box
from tests.integration.gateway.conftest import Berth, bearer

SECRET = "s3cr3t-value-\N{SNOWMAN}"


async def _put(api: httpx.AsyncClient, token: str, **body: object) -> httpx.Response:
    return await api.put("/api/env-vars", headers=bearer(token), json=body)


async def test_set_list_and_remove_my_variables(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    assert (await api.get("/api/env-vars", headers=bearer(alice))).json() == {"env_vars": []}
    put = await _put(api, alice, name="API_KEY", repository_pattern="Acme/Widgets", value=SECRET)
    assert put.status_code == 200, put.text
    assert set(put.json()) == {"name", "repository_pattern", "updated_at"}
    assert put.json()["repository_pattern"] == "acme/widgets"  # canonical: lowercase
    await _put(api, alice, name="API_KEY", repository_pattern="*/*", value="everywhere")
    await _put(api, alice, name="DB_URL", value="postgres://x")  # the pattern defaults to */*
    again = await _put(api, alice, name="API_KEY", repository_pattern="acme/widgets", value="replaced")
    assert again.status_code == 200 and again.json()["updated_at"] >= put.json()["updated_at"]
    listed = await api.get("/api/env-vars", headers=bearer(alice))
    assert listed.status_code == 200
    rows = listed.json()["env_vars"]
    assert [(v["name"], v["repository_pattern"]) for v in rows] == [
        ("API_KEY", "*/*"), ("API_KEY", "acme/widgets"), ("DB_URL", "*/*")]
    assert rows[1]["updated_at"] == again.json()["updated_at"]
    assert all(set(v) == {"name", "repository_pattern", "updated_at"} for v in rows)
    for text in (put.text, again.text, listed.text):
        assert SECRET not in text and "replaced" not in text and "everywhere" not in text
    # Bob sees none of them.
    assert (await api.get("/api/env-vars", headers=bearer(await berth.user_token("bob")))).json() == {"env_vars": []}
    removed = await api.delete("/api/env-vars", headers=bearer(alice),
                               params={"name": "API_KEY", "repository_pattern": "ACME/widgets"})
    assert removed.status_code == 204
    gone = await api.delete("/api/env-vars", headers=bearer(alice),
                            params={"name": "API_KEY", "repository_pattern": "acme/widgets"})
    assert gone.status_code == 404 and "API_KEY" in gone.json()["detail"]
    assert (await api.delete("/api/env-vars", headers=bearer(alice), params={"name": "DB_URL"})).status_code == 204
    assert [v["name"] for v in (await api.get("/api/env-vars", headers=bearer(alice))).json()["env_vars"]] == [
        "API_KEY"]


async def test_the_event_log_holds_the_value_only_sealed(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    assert (await _put(api, alice, name="TOKEN", repository_pattern="acme/*", value=SECRET)).status_code == 200
    stored = await berth.platform.stores.events.read_all()
    assert all(SECRET.encode() not in s.payload for s in stored)
    [event] = [berth.platform.codec.decode(s.envelope.type, s.envelope.schema, s.payload)
               for s in stored if s.envelope.type == EnvVarSet.TYPE]
    assert isinstance(event, EnvVarSet) and SECRET not in event.model_dump_json()
    box = secret_box(berth.platform.settings)
    assert event.key_id == box.key_id
    sealed = SealedValue(event.encrypted_value, event.key_id)
    assert box.open(sealed, env_var_context("alice", "TOKEN", "acme/*")) == SECRET


async def test_bad_input_is_422_naming_the_field(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    cases: list[tuple[dict[str, object], str]] = [
        ({"name": "1X", "value": "v"}, "name"),
        ({"name": "HOME", "value": "v"}, "name"),
        ({"name": "BERTH_WORKSPACE_ID", "value": "v"}, "name"),
        ({"name": "X", "repository_pattern": "*/widgets", "value": "v"}, "repository_pattern"),
        ({"name": "X", "repository_pattern": "acme", "value": "v"}, "repository_pattern"),
        ({"name": "X", "value": "a\0b"}, "value"),
        ({"name": "X", "value": "x" * (MAX_VALUE_BYTES + 1)}, "value"),
        ({"name": "X"}, "value"),
        ({"value": "v"}, "name"),
        ({"name": "X", "value": 3}, "value"),
        ({"name": "X", "value": "v", "secret": True}, "secret"),
    ]
    for body, field in cases:
        refused = await _put(api, alice, **body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["field"] == field, (body, refused.json())
    for params, field in (({"repository_pattern": "*/*"}, "name"), ({"name": "X", "repository_pattern": "a/*/b"},
                                                                     "repository_pattern")):
        refused = await api.delete("/api/env-vars", headers=bearer(alice), params=params)
        assert refused.status_code == 422 and refused.json()["field"] == field
    assert (await api.get("/api/env-vars", headers=bearer(alice))).json() == {"env_vars": []}
    assert (await api.get("/api/env-vars")).status_code == 401
    assert (await api.put("/api/env-vars", json={"name": "X", "value": "v"})).status_code == 401


async def test_a_user_has_at_most_so_many_variables(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    for index in range(MAX_VARIABLES):
        assert (await _put(api, alice, name=f"V{index}", value="v")).status_code == 200
    refused = await _put(api, alice, name="ONE_MORE", value="v")
    assert refused.status_code == 422 and refused.json()["field"] == "name"
    assert f"at most {MAX_VARIABLES}" in refused.json()["detail"]
    assert (await _put(api, alice, name="V0", value="replaced")).status_code == 200


async def test_the_api_document_describes_them(berth: Berth, api: httpx.AsyncClient) -> None:
    document = (await api.get("/api/openapi.json")).json()
    described = document["paths"]["/api/env-vars"]
    assert set(described) == {"get", "put", "delete"}
    assert "value" not in described["get"]["responses"]["200"]["content"]["application/json"]["schema"][
        "properties"]["env_vars"]["items"]["properties"]
    assert {p["name"] for p in described["delete"]["parameters"]} == {"name", "repository_pattern"}
