"""What the node agent puts into a new container's environment from the owner's user stream (a real SQLite
store; no engine needed): the most specific variable of each name for the workspace's repository, decrypted,
and a clear failure naming the variable when a value was sealed under another key."""

from __future__ import annotations

import pytest

from domain.envelope import Cause
from domain.errors import PermanentError
from domain.users.decider import CreateUser, UserDecider
from domain.users.env_vars import EnvVarDecider, SetEnvVar
from domain.users.names import user_stream
from gateway.aggregates import execute
from handlers.runtime.handler import HandlerContext
from infra.secrets import SecretBox, env_var_context
from infra.store.sqlite import SqliteEventStore
from node_agent.user_env import user_environment
from schemas.codec import EventCodec

BOX = SecretBox(bytes(range(32)))
CAUSE = Cause("test")


async def _set(context: HandlerContext, name: str, pattern: str, value: str, box: SecretBox = BOX) -> None:
    sealed = box.seal(value, env_var_context("alice", name, pattern))
    await execute(context.store, context.codec, user_stream("alice"), EnvVarDecider(),
                  SetEnvVar(name, pattern, sealed), CAUSE)


async def test_the_most_specific_value_of_each_name_for_the_repository(sqlite_store: SqliteEventStore) -> None:
    context = HandlerContext(sqlite_store, EventCodec())
    await execute(sqlite_store, context.codec, user_stream("alice"), UserDecider(), CreateUser("alice", "user"), CAUSE)
    await _set(context, "API_KEY", "*/*", "everywhere")
    await _set(context, "API_KEY", "acme/widgets", "widgets only")
    await _set(context, "API_KEY", "acme/*", "acme")
    await _set(context, "ELSEWHERE", "other/*", "not here")
    await _set(context, "MULTI", "*/*", "line one\nline two")
    widgets = await user_environment(context, "alice", "https://github.com/Acme/widgets.git", BOX)
    assert widgets.values == {"API_KEY": "widgets only", "MULTI": "line one\nline two"}
    assert widgets.summary == "environment: 2 user variables (API_KEY, MULTI)"
    assert "widgets only" not in repr(widgets)
    gadgets = await user_environment(context, "alice", "https://github.com/acme/gadgets.git", BOX)
    assert gadgets.values["API_KEY"] == "acme"
    assert (await user_environment(context, "bob", "https://github.com/acme/widgets.git", BOX)).values == {}


async def test_a_value_sealed_under_another_key_fails_naming_the_variable(sqlite_store: SqliteEventStore) -> None:
    context = HandlerContext(sqlite_store, EventCodec())
    await execute(sqlite_store, context.codec, user_stream("alice"), UserDecider(), CreateUser("alice", "user"), CAUSE)
    await _set(context, "API_KEY", "acme/*", "v", box=SecretBox(bytes(32)))
    with pytest.raises(PermanentError, match=r"API_KEY \(acme/\*\) cannot be decrypted.*berth env set API_KEY"):
        await user_environment(context, "alice", "git://127.0.0.1/acme/widgets.git", BOX)
    with pytest.raises(PermanentError, match="no secrets key"):
        await user_environment(context, "alice", "git://127.0.0.1/acme/widgets.git", None)
    # A variable that does not match the repository is never opened: other workspaces start as before.
    assert (await user_environment(context, "alice", "git://127.0.0.1/other/widgets.git", BOX)).values == {}
    assert (await user_environment(context, "alice", "git://127.0.0.1/other/widgets.git", None)).values == {}
