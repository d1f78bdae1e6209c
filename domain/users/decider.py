"""The user decider: accounts, blocking and tokens. Secrets arrive already hashed, so the decider (and the
events it emits) never see a password or a token."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import DomainEvent
from domain.users.events import TokenIssued, TokenRevoked, UserBlocked, UserCreated
from domain.users.names import Role, check_role, check_username

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_TOKEN_NAME = 100


@dataclass(frozen=True, slots=True)
class TokenState:
    name: str
    sha256: str
    expires_at: str | None
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class UserState:
    username: str | None = None
    role: Role = Role.USER
    password_hash: str | None = None
    blocked: bool = False
    tokens: dict[str, TokenState] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.username is not None


@dataclass(frozen=True, slots=True)
class CreateUser:
    username: str
    role: str
    password_hash: str | None = None


@dataclass(frozen=True, slots=True)
class BlockUser:
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class IssueToken:
    token_id: str
    name: str
    sha256: str
    expires_at: str | None = None


@dataclass(frozen=True, slots=True)
class RevokeToken:
    token_id: str


UserCommand = CreateUser | BlockUser | IssueToken | RevokeToken


class UserDecider:
    def initial_state(self) -> UserState:
        return UserState()

    def decide(self, state: UserState, command: UserCommand) -> Sequence[DomainEvent]:
        if isinstance(command, CreateUser):
            if state.exists:
                raise Conflict(f"user {state.username!r} already exists")
            return [UserCreated(username=check_username(command.username), role=check_role(command.role).value,
                                password_hash=command.password_hash)]
        if not state.exists:
            raise NotFound("user does not exist")
        if isinstance(command, BlockUser):
            return [] if state.blocked else [UserBlocked(reason=command.reason)]
        if isinstance(command, IssueToken):
            return [self._issue(state, command)]
        token = state.tokens.get(command.token_id)
        if token is None:
            raise NotFound(f"user {state.username!r} has no token {command.token_id!r}")
        return [] if token.revoked else [TokenRevoked(token_id=command.token_id)]

    @staticmethod
    def _issue(state: UserState, command: IssueToken) -> TokenIssued:
        if state.blocked:
            raise Conflict(f"user {state.username!r} is blocked")
        if command.token_id in state.tokens:
            raise Conflict(f"token {command.token_id!r} exists")
        name = command.name.strip()
        if not 1 <= len(name) <= MAX_TOKEN_NAME:
            raise InvalidInput(f"a token name has 1 to {MAX_TOKEN_NAME} characters", field="name")
        if _SHA256.fullmatch(command.sha256) is None:
            raise InvalidInput("sha256 must be 64 lowercase hex digits", field="sha256")
        return TokenIssued(token_id=command.token_id, name=name, sha256=command.sha256,
                           expires_at=command.expires_at)

    def evolve(self, state: UserState, event: DomainEvent) -> UserState:
        if isinstance(event, UserCreated):
            return replace(state, username=event.username, role=Role(event.role), password_hash=event.password_hash)
        if isinstance(event, UserBlocked):
            return replace(state, blocked=True)
        if isinstance(event, TokenIssued):
            issued = TokenState(event.name, event.sha256, event.expires_at)
            return replace(state, tokens={**state.tokens, event.token_id: issued})
        if isinstance(event, TokenRevoked) and event.token_id in state.tokens:
            revoked = replace(state.tokens[event.token_id], revoked=True)
            return replace(state, tokens={**state.tokens, event.token_id: revoked})
        return state
