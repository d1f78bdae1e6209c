"""The user aggregate: accounts, blocking and tokens, decided and folded."""

from __future__ import annotations

import pytest

from domain.aggregate import fold
from domain.errors import Conflict, InvalidInput, NotFound
from domain.users.decider import BlockUser, CreateUser, IssueToken, RevokeToken, UserCommand, UserDecider, UserState
from domain.users.events import TokenIssued, TokenRevoked, UserBlocked, UserCreated
from domain.users.names import Role, check_username, user_stream
from domain.users.tokens import looks_like_token, same_digest, token_digest

DECIDER = UserDecider()
SHA = token_digest("berth_" + "x" * 43)


def _apply(state: UserState, command: UserCommand) -> UserState:
    for event in DECIDER.decide(state, command):
        state = DECIDER.evolve(state, event)
    return state


def alice() -> UserState:
    return _apply(UserState(), CreateUser("alice", "user"))


def test_create_emits_the_account_and_the_state_knows_it() -> None:
    assert DECIDER.decide(UserState(), CreateUser("alice", "admin", "scrypt$...")) == [
        UserCreated(username="alice", role="admin", password_hash="scrypt$...")]
    state = alice()
    assert state.exists and state.username == "alice" and state.role is Role.USER and not state.blocked


def test_a_second_create_of_the_same_name_conflicts() -> None:
    with pytest.raises(Conflict):
        DECIDER.decide(alice(), CreateUser("alice", "user"))


@pytest.mark.parametrize("name", ["", "Alice", "1abc", "a_b", "abc-", "a" * 33, "a.b"])
def test_bad_usernames_are_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        DECIDER.decide(UserState(), CreateUser(name, "user"))
    assert refused.value.field == "username"


def test_folding_a_history_gives_the_same_state_as_deciding_step_by_step() -> None:
    events = [UserCreated(username="alice", role="user"), TokenIssued(token_id="t1", name="cli", sha256=SHA),
              TokenRevoked(token_id="t1")]
    folded = fold(DECIDER, events)
    assert folded.version == 3
    assert folded.state == _apply(_apply(alice(), IssueToken("t1", "cli", SHA)), RevokeToken("t1"))


def test_good_usernames_pass() -> None:
    for name in ("a", "alice", "bob-2", "a" * 32):
        assert check_username(name) == name
    assert user_stream("alice") == "user-alice"


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        DECIDER.decide(UserState(), CreateUser("alice", "root"))
    assert refused.value.field == "role"


def test_commands_on_a_missing_user_are_not_found() -> None:
    for command in (BlockUser(), IssueToken("t1", "cli", SHA), RevokeToken("t1")):
        with pytest.raises(NotFound):
            DECIDER.decide(UserState(), command)


def test_tokens_are_issued_revoked_once_and_never_for_a_blocked_user() -> None:
    state = alice()
    assert DECIDER.decide(state, IssueToken("t1", " cli ", SHA)) == [
        TokenIssued(token_id="t1", name="cli", sha256=SHA, expires_at=None)]
    state = _apply(state, IssueToken("t1", "cli", SHA))
    with pytest.raises(Conflict):
        DECIDER.decide(state, IssueToken("t1", "again", SHA))
    assert DECIDER.decide(state, RevokeToken("t1")) == [TokenRevoked(token_id="t1")]
    state = _apply(state, RevokeToken("t1"))
    assert state.tokens["t1"].revoked
    assert DECIDER.decide(state, RevokeToken("t1")) == []  # revoking twice changes nothing
    with pytest.raises(NotFound):
        DECIDER.decide(state, RevokeToken("nope"))
    assert DECIDER.decide(state, BlockUser("left")) == [UserBlocked(reason="left")]
    state = _apply(state, BlockUser("left"))
    assert DECIDER.decide(state, BlockUser()) == []
    with pytest.raises(Conflict):
        DECIDER.decide(state, IssueToken("t2", "cli", SHA))


@pytest.mark.parametrize(("name", "sha", "field"), [("", SHA, "name"), ("x" * 101, SHA, "name"),
                                                    ("cli", "not-a-hash", "sha256"), ("cli", SHA.upper(), "sha256")])
def test_token_fields_are_checked(name: str, sha: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        DECIDER.decide(alice(), IssueToken("t1", name, sha))
    assert refused.value.field == field


def test_token_hashing_and_comparison() -> None:
    token = "berth_" + "a" * 43
    assert token_digest(token) == token_digest(token) != token_digest(token + "b")
    assert len(token_digest(token)) == 64
    assert same_digest(token_digest(token), token_digest(token))
    assert not same_digest(token_digest(token), token_digest("berth_other"))
    assert looks_like_token(token) and not looks_like_token("Bearer x") and not looks_like_token("berth_")
