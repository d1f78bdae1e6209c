"""My environment variables: `NAME=value` for the repositories a pattern names, set in my workspaces when an
instance starts. Values go in and never come out: they are encrypted before they are recorded (infra/secrets.py)
and no answer carries one, like Codespaces secrets."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.envelope import Cause
from domain.errors import InvalidInput
from domain.events import Recorded
from domain.users.env_vars import (
    MAX_VALUE_BYTES,
    MAX_VARIABLES,
    EnvVarDecider,
    EnvVarKey,
    EnvVarRemoved,
    EnvVarSet,
    RemoveEnvVar,
    SetEnvVar,
    canonical_pattern,
    check_env_var_name,
    check_env_var_value,
)
from domain.users.names import user_stream
from domain.users.repository_patterns import EVERY_REPOSITORY
from gateway.aggregates import execute, load
from gateway.bodies import object_body, only_fields, required_string, string_field
from gateway.context import Gateway
from gateway.openapi.operation import Endpoint, Operation, Param, Reply, problem_reply
from infra.secrets import env_var_context, secret_box

_PATTERN_DOC = ("owner/repo, owner/* or */* (every repository); case-insensitive, answered in lowercase. The owner "
                "is a repository path's first segment: group/sub/repo names a GitLab subgroup's project.")
_ENV_VAR: dict[str, Any] = {
    "type": "object", "required": ["name", "repository_pattern", "updated_at"],
    "properties": {"name": {"type": "string"}, "repository_pattern": {"type": "string"},
                   "updated_at": {"type": "string", "format": "date-time"}}}
_SET_ENV_VAR: dict[str, Any] = {
    "type": "object", "required": ["name", "value"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 256,
                 "description": "A POSIX name; not HOME, USER, LOGNAME, SHELL or BERTH_* (Berth sets those)."},
        "repository_pattern": {"type": "string", "default": EVERY_REPOSITORY, "description": _PATTERN_DOC},
        "value": {"type": "string", "format": "password",
                  "description": f"At most {MAX_VALUE_BYTES} bytes (UTF-8), no NUL. Never returned."}}}


def listing(history: list[Recorded]) -> list[dict[str, str]]:
    """The variables the stream holds now, each with when it was last set; sorted by name, then pattern."""
    updated: dict[EnvVarKey, str] = {}
    for recorded in history:
        payload = recorded.payload
        if isinstance(payload, EnvVarSet):
            updated[(payload.name, payload.repository_pattern)] = recorded.envelope.occurred_at.isoformat()
        elif isinstance(payload, EnvVarRemoved):
            updated.pop((payload.name, payload.repository_pattern), None)
    return [{"name": name, "repository_pattern": pattern, "updated_at": at}
            for (name, pattern), at in sorted(updated.items())]


def _pattern(text: str | None) -> str:
    return canonical_pattern(EVERY_REPOSITORY if text is None else text)


def endpoints(gw: Gateway) -> list[Endpoint]:
    async def list_env_vars(request: Request) -> Response:
        identity = await gw.require(request)
        # The stream, not a read model: a variable set a moment ago is listed.
        loaded = await load(gw.store, gw.codec, user_stream(identity.username), EnvVarDecider())
        return JSONResponse({"env_vars": listing(loaded.history)})

    async def set_env_var(request: Request) -> Response:
        identity = await gw.require(request)
        body = await object_body(request)
        only_fields(body, "name", "repository_pattern", "value")
        name = check_env_var_name(required_string(body, "name"))
        pattern = _pattern(string_field(body, "repository_pattern"))
        value = check_env_var_value(required_string(body, "value"))
        box = await asyncio.to_thread(secret_box, gw.platform.settings)  # may create the key file, once
        sealed = box.seal(value, env_var_context(identity.username, name, pattern))
        executed = await execute(gw.store, gw.codec, user_stream(identity.username), EnvVarDecider(),
                                 SetEnvVar(name, pattern, sealed), Cause(identity.username))
        recorded = executed.appended[0]
        return JSONResponse({"name": name, "repository_pattern": pattern,
                             "updated_at": recorded.envelope.occurred_at.isoformat()})

    async def remove_env_var(request: Request) -> Response:
        identity = await gw.require(request)
        query = request.query_params
        if "name" not in query:
            raise InvalidInput("the query parameter name is required", field="name")
        await execute(gw.store, gw.codec, user_stream(identity.username), EnvVarDecider(),
                      RemoveEnvVar(check_env_var_name(query["name"]), _pattern(query.get("repository_pattern"))),
                      Cause(identity.username))
        return Response(status_code=204)

    bad_field = problem_reply(422, "A bad name, repository_pattern or value (named in `field`), or already "
                                   f"{MAX_VARIABLES} variables (field `name`).")
    return [
        Endpoint("/api/env-vars", "GET", list_env_vars, Operation(
            "My environment variables (names and patterns, never values)", "env-vars",
            (Reply(200, "Sorted by name, then pattern.", {"type": "object", "required": ["env_vars"], "properties": {
                "env_vars": {"type": "array", "items": _ENV_VAR}}}),))),
        Endpoint("/api/env-vars", "PUT", set_env_var, Operation(
            "Set an environment variable for my workspaces of the repositories a pattern names", "env-vars",
            (Reply(200, "Set; it applies from the next start of a workspace.", _ENV_VAR), bad_field),
            body=_SET_ENV_VAR,
            description="When several of my variables of one name match a workspace's repository, the most "
                        "specific pattern wins: owner/repo, then owner/*, then */*. The value is encrypted "
                        "before it is recorded and is never returned.")),
        Endpoint("/api/env-vars", "DELETE", remove_env_var, Operation(
            "Remove one of my environment variables", "env-vars",
            (Reply(204, "Removed."), problem_reply(404, "No variable of mine with this name and pattern."),
             problem_reply(422, "A bad name or repository_pattern (named in `field`).")),
            params=(Param("name", "query", {"type": "string"}, "The variable's name.", required=True),
                    Param("repository_pattern", "query", {"type": "string", "default": EVERY_REPOSITORY},
                          "Its pattern.")))),
    ]
