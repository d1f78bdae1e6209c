"""Users and tokens: who am I, my preferences, my tokens, and (admins) the accounts."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.envelope import Cause
from domain.errors import NotFound
from domain.users.decider import BlockUser, CreateUser, RevokeToken, UserDecider
from domain.users.names import Role, check_role, check_username, user_stream
from domain.users.passwords import check_password, hash_password
from domain.users.preferences import PreferencesDecider, SetPreferences
from domain.workspace.decider import IDES, check_ide
from gateway.aggregates import execute, load
from gateway.auth.tokens import issue_token
from gateway.bodies import object_body, only_fields, required_string, string_field
from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Reply, problem_reply, ref
from infra.readmodel.contract import Doc
from projections.users import PROJECTION, USERS, preferences_of


def user_view(doc: Doc) -> dict[str, Any]:
    """Never the password hash."""
    return {"username": doc["username"], "role": doc["role"], "blocked": doc["blocked"],
            "blocked_reason": doc.get("blocked_reason"), "created_at": doc.get("created_at"),
            "preferences": preferences_of(doc)}


_PREFERENCES: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"ide": {"enum": [*IDES, None], "default": None,
                           "description": "The IDE your new workspaces open in when the request names none "
                                          "(null: no preference, vscode)."}}}


def tokens_view(doc: Doc) -> list[dict[str, Any]]:
    return sorted(doc["tokens"].values(), key=lambda t: (t["created_at"], t["token_id"]))


def endpoints(gw: Gateway) -> list[Endpoint]:
    async def me(request: Request) -> Response:
        identity = await gw.require(request)
        user = await gw.authenticator.user(identity.username)
        assert user is not None  # an identity comes from an existing user
        return JSONResponse(user_view(user))

    async def get_preferences(request: Request) -> Response:
        identity = await gw.require(request)
        # The stream, not the read model: what a PUT a moment ago set is what this shows.
        loaded = await load(gw.store, gw.codec, user_stream(identity.username), PreferencesDecider())
        return JSONResponse({"ide": loaded.current.state.ide})

    async def set_preferences(request: Request) -> Response:
        identity = await gw.require(request)
        body = await object_body(request)
        only_fields(body, "ide")
        ide = body.get("ide")
        executed = await execute(gw.store, gw.codec, user_stream(identity.username), PreferencesDecider(),
                                 SetPreferences(None if ide is None else check_ide(ide)), Cause(identity.username))
        state = executed.before.current.state
        for event in executed.appended:
            state = PreferencesDecider().evolve(state, event.payload)
        return JSONResponse({"ide": state.ide})

    async def list_users(request: Request) -> Response:
        await gw.require_admin(request)
        docs = await gw.views.list(PROJECTION, USERS)
        return JSONResponse({"users": [user_view(d) for d in sorted(docs, key=lambda d: d["username"])]})

    async def create_user(request: Request) -> Response:
        admin = await gw.require_admin(request)
        body = await object_body(request)
        only_fields(body, "username", "role", "password")
        username = check_username(required_string(body, "username"))
        role = check_role(string_field(body, "role") or Role.USER.value)
        password = string_field(body, "password")
        password_hash = None
        if password is not None:
            # scrypt takes ~50 ms of CPU on purpose: off the event loop.
            password_hash = await asyncio.to_thread(hash_password, check_password(password), secrets.token_bytes(16))
        await execute(gw.store, gw.codec, user_stream(username), UserDecider(),
                      CreateUser(username, role.value, password_hash), Cause(admin.username))
        user = await gw.authenticator.user(username)
        assert user is not None
        return JSONResponse(user_view(user), status_code=201)

    async def block_user(request: Request) -> Response:
        admin = await gw.require_admin(request)
        username = request.path_params["username"]
        body = await object_body(request)
        only_fields(body, "reason")
        await execute(gw.store, gw.codec, user_stream(username), UserDecider(),
                      BlockUser(string_field(body, "reason")), Cause(admin.username))
        await gw.authenticator.refresh()  # blocking takes effect on the next request, not a moment later
        user = await gw.views.get(PROJECTION, USERS, username)
        assert user is not None
        return JSONResponse(user_view(user))

    async def list_tokens(request: Request) -> Response:
        identity = await gw.require(request)
        user = await gw.authenticator.user(identity.username)
        assert user is not None
        return JSONResponse({"tokens": tokens_view(user)})

    async def new_token(request: Request) -> Response:
        identity = await gw.require(request)
        body = await object_body(request)
        only_fields(body, "name")
        issued = await issue_token(gw.store, gw.codec, identity.username, required_string(body, "name"),
                                   Cause(identity.username))
        return JSONResponse({"token_id": issued.token_id, "name": issued.name, "token": issued.token,
                             "expires_at": issued.expires_at}, status_code=201)

    async def revoke_token(request: Request) -> Response:
        identity = await gw.require(request)
        token_id = request.path_params["token_id"]
        try:
            await execute(gw.store, gw.codec, user_stream(identity.username), UserDecider(),
                          RevokeToken(token_id), Cause(identity.username))
        except NotFound:
            raise NotFound(f"you have no token {token_id!r}") from None
        await gw.authenticator.refresh()
        return Response(status_code=204)

    admin_only = problem_reply(403, "Not an admin.")
    return [
        Endpoint("/api/me", "GET", me, Operation("The user the request is authenticated as", "users",
                                                 (Reply(200, "The user.", ref("User")),))),
        Endpoint("/api/me/preferences", "GET", get_preferences, Operation(
            "My preferences", "users", (Reply(200, "The preferences (null: none, Berth's default).", _PREFERENCES),))),
        Endpoint("/api/me/preferences", "PUT", set_preferences, Operation(
            "Replace my preferences (a field left out is no preference)", "users",
            (Reply(200, "The preferences now.", _PREFERENCES), problem_reply(422, "A bad field (named in `field`).")),
            body=_PREFERENCES)),
        Endpoint("/api/users", "GET", list_users, Operation("Every user (admins)", "users",
                                                            (Reply(200, "The users.", ref("UserList")), admin_only))),
        Endpoint("/api/users", "POST", create_user, Operation(
            "Create a user (admins)", "users",
            (Reply(201, "Created.", ref("User")), admin_only, problem_reply(409, "The username is taken."),
             problem_reply(422, "A bad field (named in `field`).")), body=ref("CreateUser"))),
        Endpoint("/api/users/{username}/block", "POST", block_user, Operation(
            "Block a user: every token and session stops working (admins)", "users",
            (Reply(200, "Blocked (or already was).", ref("User")), admin_only,
             problem_reply(404, "No such user.")), body=ref("BlockUser"))),
        Endpoint("/api/tokens", "GET", list_tokens, Operation(
            "My tokens (never their secrets)", "tokens", (Reply(200, "The tokens.", ref("TokenList")),))),
        Endpoint("/api/tokens", "POST", new_token, Operation(
            "Issue a token; its secret is in this response only", "tokens",
            (Reply(201, "Issued.", ref("IssuedToken")), problem_reply(422, "A bad name.")), body=ref("NewToken"))),
        Endpoint("/api/tokens/{token_id}", "DELETE", revoke_token, Operation(
            "Revoke one of my tokens", "tokens",
            (Reply(204, "Revoked (or already was)."), problem_reply(404, "No such token of mine.")))),
    ]
