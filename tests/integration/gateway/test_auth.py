"""Users and tokens as events, bearer tokens, login and the session cookie, on real stores."""

from __future__ import annotations

import httpx

from domain.users.tokens import token_digest
from gateway.auth.tokens import mint_admin_token
from tests.integration.gateway.conftest import Berth, bearer


async def test_the_admin_token_works_at_once_and_only_its_hash_is_stored(berth: Berth, api: httpx.AsyncClient) -> None:
    me = await api.get("/api/me", headers=bearer(berth.admin_token))
    assert me.status_code == 200
    assert me.json()["username"] == "admin" and me.json()["role"] == "admin"
    stored = await berth.platform.stores.events.read_all(0, 100)
    assert [e.envelope.type for e in stored] == ["user.created", "user.token_issued"]
    assert all(berth.admin_token.encode() not in e.payload for e in stored)
    assert token_digest(berth.admin_token).encode() in stored[1].payload


async def test_each_mint_issues_a_new_token_and_earlier_ones_stay_valid(berth: Berth, api: httpx.AsyncClient) -> None:
    second = await mint_admin_token(berth.platform.stores.events, berth.platform.codec)
    assert second != berth.admin_token
    for token in (berth.admin_token, second):
        assert (await api.get("/api/me", headers=bearer(token))).status_code == 200
    types = [e.envelope.type for e in await berth.platform.stores.events.read_all(0, 100)]
    assert types.count("user.created") == 1


async def test_missing_wrong_and_malformed_credentials_are_401_problems(api: httpx.AsyncClient) -> None:
    for headers in ({}, bearer("berth_wrong_but_long_enough_to_look_up"), bearer("nonsense"),
                    {"Authorization": "Basic YTpi"}):
        response = await api.get("/api/workspaces", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_login_with_a_token_sets_a_session_cookie_for_the_domain(berth: Berth, api: httpx.AsyncClient) -> None:
    response = await api.post("/api/login", json={"token": berth.admin_token})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("berth_session=berth_")
    for attribute in ("Domain=localhost", "HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute in cookie
    session = cookie.split(";")[0].partition("=")[2]
    assert session != berth.admin_token  # the cookie holds a session token of its own
    api.cookies.clear()
    me = await api.get("/api/me", headers={"Cookie": f"berth_session={session}"})
    assert me.json()["username"] == "admin"


async def test_a_login_on_an_ip_address_gets_a_host_only_cookie(berth: Berth, api: httpx.AsyncClient) -> None:
    response = await api.post("/api/login", json={"token": berth.admin_token}, headers={"Host": "127.0.0.1:8080"})
    assert response.status_code == 200 and "Domain=" not in response.headers["set-cookie"]


async def test_users_with_passwords_log_in_by_form_and_are_redirected_back(
        berth: Berth, api: httpx.AsyncClient) -> None:
    created = await api.post("/api/users", headers=bearer(berth.admin_token),
                             json={"username": "alice", "password": "correct horse"})
    assert created.status_code == 201 and created.json()["role"] == "user"
    assert "password_hash" not in created.json()
    wrong = await api.post("/api/login", json={"username": "alice", "password": "wrong password"})
    assert wrong.status_code == 401
    unknown = await api.post("/api/login", json={"username": "nobody", "password": "wrong password"})
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong.json()["detail"]
    back = "http://3000-amber-otter-k3x9qa.ws.localhost:8080/app"
    form = await api.post("/api/login", content=f"username=alice&password=correct+horse&next={back}",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 303 and form.headers["location"] == back
    session = form.headers["set-cookie"].split(";")[0].partition("=")[2]
    api.cookies.clear()
    assert (await api.get("/api/me", headers={"Cookie": f"berth_session={session}"})).json()["username"] == "alice"
    evil = await api.post("/api/login", content="username=alice&password=correct+horse&next=https://evil.example/",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert evil.headers["location"] == "/"


async def test_a_cookie_cannot_be_used_for_a_cross_site_write(berth: Berth, api: httpx.AsyncClient) -> None:
    login = await api.post("/api/login", json={"token": berth.admin_token})
    session = login.headers["set-cookie"].split(";")[0].partition("=")[2]
    api.cookies.clear()
    headers = {"Cookie": f"berth_session={session}", "Origin": "http://3000-evil-page-aaaaaa.ws.localhost:8080"}
    refused = await api.post("/api/workspaces", headers=headers, json={"context_url": "https://github.com/o/r"})
    assert refused.status_code == 403
    headers["Origin"] = f"http://localhost:{api.base_url.port}"
    accepted = await api.post("/api/workspaces", headers=headers, json={"context_url": "https://github.com/o/r"})
    assert accepted.status_code == 201


async def test_logout_revokes_the_session_only(berth: Berth, api: httpx.AsyncClient) -> None:
    login = await api.post("/api/login", json={"token": berth.admin_token})
    session = {"Cookie": "berth_session=" + login.headers["set-cookie"].split(";")[0].partition("=")[2]}
    api.cookies.clear()
    logout = await api.post("/api/logout", headers=session)
    assert logout.status_code == 204 and "Max-Age=0" in logout.headers["set-cookie"]
    assert (await api.get("/api/me", headers=session)).status_code == 401
    assert (await api.get("/api/me", headers=bearer(berth.admin_token))).status_code == 200


async def test_tokens_can_be_issued_listed_and_revoked(berth: Berth, api: httpx.AsyncClient) -> None:
    issued = await api.post("/api/tokens", headers=bearer(berth.admin_token), json={"name": "ci"})
    assert issued.status_code == 201
    token, token_id = issued.json()["token"], issued.json()["token_id"]
    assert (await api.get("/api/me", headers=bearer(token))).status_code == 200
    listed = (await api.get("/api/tokens", headers=bearer(token))).json()["tokens"]
    assert [t["name"] for t in listed][-1] == "ci" and all("sha256" not in t for t in listed)
    assert (await api.delete(f"/api/tokens/{token_id}", headers=bearer(berth.admin_token))).status_code == 204
    assert (await api.get("/api/me", headers=bearer(token))).status_code == 401
    assert (await api.delete("/api/tokens/nope", headers=bearer(berth.admin_token))).status_code == 404


async def test_blocking_a_user_stops_every_token(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    assert (await api.get("/api/me", headers=bearer(alice))).status_code == 200
    assert (await api.get("/api/users", headers=bearer(alice))).status_code == 403
    blocked = await api.post("/api/users/alice/block", headers=bearer(berth.admin_token), json={"reason": "left"})
    assert blocked.status_code == 200 and blocked.json()["blocked"] is True
    assert (await api.get("/api/me", headers=bearer(alice))).status_code == 401
    assert (await api.post("/api/login", json={"token": alice})).status_code == 401


async def test_creating_users_checks_fields_and_names(berth: Berth, api: httpx.AsyncClient) -> None:
    admin = bearer(berth.admin_token)
    bad = await api.post("/api/users", headers=admin, json={"username": "Bad Name"})
    assert bad.status_code == 422 and bad.json()["field"] == "username"
    short = await api.post("/api/users", headers=admin, json={"username": "bob", "password": "short"})
    assert short.status_code == 422 and short.json()["field"] == "password"
    assert (await api.post("/api/users", headers=admin, json={"username": "bob"})).status_code == 201
    assert (await api.post("/api/users", headers=admin, json={"username": "bob"})).status_code == 409
    users = (await api.get("/api/users", headers=admin)).json()["users"]
    assert [u["username"] for u in users] == ["admin", "bob"]


async def test_the_users_read_model_rebuilds_to_the_same_documents(berth: Berth, api: httpx.AsyncClient) -> None:
    alice = await berth.user_token("alice")
    await api.post("/api/tokens", headers=bearer(alice), json={"name": "laptop"})
    await api.post("/api/users/alice/block", headers=bearer(berth.admin_token), json={})
    await berth.project()
    views = berth.platform.stores.views
    live = await views.dump("users")
    runner = next(r for r in berth.platform.runners if r.projection.name == "users")
    await runner.rebuild()
    assert await views.dump("users") == live
    assert {key.collection for key in live} == {"users", "tokens"}
    assert all("berth_" not in str(doc) for doc in live.values())  # hashes only, never a token
