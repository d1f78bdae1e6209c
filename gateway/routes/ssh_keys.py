"""My SSH public keys: what `ssh <workspace>@<host> -p <ssh port>` accepts for my workspaces."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.envelope import Cause
from domain.errors import NotFound
from domain.users.names import user_stream
from domain.users.ssh_keys import AddSshKey, RemoveSshKey, SshKeyDecider
from gateway.aggregates import execute
from gateway.bodies import object_body, only_fields, required_string, string_field
from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Reply, problem_reply
from infra.readmodel.contract import Doc
from projections.users import ssh_keys_of

_KEY: dict[str, Any] = {"type": "object", "properties": {
    "key_id": {"type": "string"}, "name": {"type": "string"},
    "public_key": {"type": "string", "description": "'<type> <base64>'"},
    "fingerprint": {"type": "string", "description": "OpenSSH's SHA256 fingerprint"},
    "created_at": {"type": "string", "format": "date-time"}}}
_NEW_KEY: dict[str, Any] = {"type": "object", "required": ["public_key"], "properties": {
    "public_key": {"type": "string", "description": "One line of an authorized_keys/.pub file"},
    "name": {"type": "string", "description": "Defaults to the key's comment"}}}


def keys_view(user: Doc) -> list[Doc]:
    return sorted(ssh_keys_of(user).values(), key=lambda k: (k["created_at"], k["key_id"]))


def endpoints(gw: Gateway) -> list[Endpoint]:
    async def list_keys(request: Request) -> Response:
        identity = await gw.require(request)
        user = await gw.authenticator.user(identity.username)
        assert user is not None  # an identity comes from an existing user
        return JSONResponse({"ssh_keys": keys_view(user)})

    async def add_key(request: Request) -> Response:
        identity = await gw.require(request)
        body = await object_body(request)
        only_fields(body, "public_key", "name")
        key_id = uuid.uuid4().hex[:16]
        await execute(gw.store, gw.codec, user_stream(identity.username), SshKeyDecider(),
                      AddSshKey(key_id, string_field(body, "name") or "", required_string(body, "public_key")),
                      Cause(identity.username))
        await gw.authenticator.refresh()  # the key works for the next login, not a moment later
        user = await gw.authenticator.user(identity.username)
        assert user is not None
        return JSONResponse(ssh_keys_of(user)[key_id], status_code=201)

    async def remove_key(request: Request) -> Response:
        identity = await gw.require(request)
        key_id = request.path_params["key_id"]
        try:
            await execute(gw.store, gw.codec, user_stream(identity.username), SshKeyDecider(),
                          RemoveSshKey(key_id), Cause(identity.username))
        except NotFound:
            raise NotFound(f"you have no SSH key {key_id!r}") from None
        await gw.authenticator.refresh()  # a removed key stops working at once
        return Response(status_code=204)

    return [
        Endpoint("/api/ssh-keys", "GET", list_keys, Operation(
            "My SSH public keys", "ssh-keys",
            (Reply(200, "The keys.", {"type": "object", "properties": {
                "ssh_keys": {"type": "array", "items": _KEY}}}),))),
        Endpoint("/api/ssh-keys", "POST", add_key, Operation(
            "Register an SSH public key for logging in to my workspaces over SSH", "ssh-keys",
            (Reply(201, "Registered.", _KEY), problem_reply(409, "The key is registered already."),
             problem_reply(422, "Not a public key line (named in `field`).")), body=_NEW_KEY)),
        Endpoint("/api/ssh-keys/{key_id}", "DELETE", remove_key, Operation(
            "Remove one of my SSH keys", "ssh-keys",
            (Reply(204, "Removed."), problem_reply(404, "No such key of mine.")))),
    ]
