"""`/api/ssh-keys` on a real gateway (SQLite stores). The routes are mounted here on their own until
gateway/app.py registers them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from domain.errors import BerthError
from gateway.problems import berth_error
from gateway.routes import ssh_keys
from tests.integration.gateway.conftest import Berth, bearer
from tests.integration.gateway.conftest import berth as berth  # the fixture, re-exported for pytest
from tests.integration.ssh.conftest import keygen


@pytest.fixture
async def keys_api(berth: Berth) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[e.route() for e in ssh_keys.endpoints(berth.gateway)],
                    exception_handlers={BerthError: berth_error})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
        yield client


async def test_add_list_and_remove_my_keys(berth: Berth, keys_api: httpx.AsyncClient,
                                           tmp_path: Path) -> None:
    token = await berth.user_token("alice")
    public = keygen(tmp_path / "alice").with_suffix(".pub").read_text()
    added = await keys_api.post("/api/ssh-keys", json={"public_key": public}, headers=bearer(token))
    assert added.status_code == 201, added.text
    key = added.json()
    assert key["name"] == "alice" and key["fingerprint"].startswith("SHA256:")
    assert key["public_key"] == " ".join(public.split()[:2])
    again = await keys_api.post("/api/ssh-keys", json={"public_key": public}, headers=bearer(token))
    assert again.status_code == 409
    listed = await keys_api.get("/api/ssh-keys", headers=bearer(token))
    assert listed.json() == {"ssh_keys": [key]}
    others = await keys_api.get("/api/ssh-keys", headers=bearer(await berth.user_token("bob")))
    assert others.json() == {"ssh_keys": []}
    assert (await keys_api.delete(f"/api/ssh-keys/{key['key_id']}", headers=bearer(token))).status_code == 204
    assert (await keys_api.delete(f"/api/ssh-keys/{key['key_id']}", headers=bearer(token))).status_code == 404
    assert (await keys_api.get("/api/ssh-keys", headers=bearer(token))).json() == {"ssh_keys": []}


async def test_a_bad_key_is_422_naming_the_field(berth: Berth, keys_api: httpx.AsyncClient) -> None:
    token = await berth.user_token("alice")
    response = await keys_api.post("/api/ssh-keys", json={"public_key": "hello"}, headers=bearer(token))
    assert response.status_code == 422
    assert response.json()["field"] == "public_key"
    assert (await keys_api.get("/api/ssh-keys")).status_code == 401
